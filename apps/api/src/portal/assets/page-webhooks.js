// #/webhooks: the user's webhooks and their state.
import { api, canWrite } from './api.js';
import { clear, emptyState, h, time } from './dom.js';
import { lastDelivery, stateBadges } from './status.js';

export async function renderWebhooks(main) {
  const webhooks = await api.listWebhooks();
  const header = h(
    'div',
    { class: 'page-header' },
    h(
      'div',
      null,
      h('h1', null, 'Webhooks'),
      h('p', { class: 'subtitle' }, 'Endpoints that receive your events.'),
    ),
    canWrite() ? h('a', { class: 'btn btn-primary', href: '#/webhooks/new' }, 'New webhook') : null,
  );
  clear(main).append(header);
  if (webhooks.length === 0) {
    main.append(
      emptyState(
        'No webhooks yet',
        h('p', null, 'A webhook sends an HTTP POST to your endpoint whenever one of its events happens.'),
        canWrite()
          ? h('a', { class: 'btn btn-primary', href: '#/webhooks/new' }, 'Create your first webhook')
          : null,
      ),
    );
    return;
  }
  const rows = webhooks.map((webhook) =>
    h(
      'tr',
      null,
      h(
        'td',
        { class: 'cell-url' },
        h('a', { href: `#/webhooks/${encodeURIComponent(webhook.id)}` }, webhook.url),
      ),
      h('td', null, eventSummary(webhook.events)),
      h('td', null, stateBadges(webhook)),
      h('td', null, lastDelivery(webhook)),
      h('td', { class: 'nowrap' }, time(webhook.createdAt)),
    ),
  );
  main.append(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table' },
        h('caption', { class: 'sr-only' }, 'Your webhooks'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...['Endpoint', 'Events', 'State', 'Last delivery', 'Created'].map((title) =>
              h('th', { scope: 'col' }, title),
            ),
          ),
        ),
        h('tbody', null, ...rows),
      ),
    ),
  );
}

function eventSummary(events) {
  const names = (events ?? []).map((event) => event.name);
  if (names.length <= 2) return h('span', { class: 'event-names' }, names.join(', '));
  return h(
    'span',
    { class: 'event-names', title: names.join(', ') },
    `${names.slice(0, 2).join(', ')} +${names.length - 2} more`,
  );
}
