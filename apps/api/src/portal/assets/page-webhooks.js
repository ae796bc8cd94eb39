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
  // On a narrow screen the rows are shown as stacked blocks, each cell labelled with its column
  // (app.css, data-label); the explicit roles keep it a table for screen readers, which some browsers
  // stop announcing as one once its parts are displayed as blocks.
  const COLUMNS = ['Endpoint', 'Events', 'State', 'Last delivery', 'Created'];
  const cell = (column, attrs, ...children) =>
    h('td', { role: 'cell', 'data-label': COLUMNS[column], ...attrs }, ...children);
  const rows = webhooks.map((webhook) =>
    h(
      'tr',
      { role: 'row' },
      cell(
        0,
        { class: 'cell-url' },
        h('a', { href: `#/webhooks/${encodeURIComponent(webhook.id)}` }, webhook.url),
      ),
      cell(1, null, eventSummary(webhook.events)),
      cell(2, null, stateBadges(webhook)),
      cell(3, null, lastDelivery(webhook)),
      cell(4, { class: 'nowrap' }, time(webhook.createdAt)),
    ),
  );
  main.append(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table table-stacking', role: 'table' },
        h('caption', { class: 'sr-only' }, 'Your webhooks'),
        h(
          'thead',
          { role: 'rowgroup' },
          h(
            'tr',
            { role: 'row' },
            ...COLUMNS.map((title) => h('th', { scope: 'col', role: 'columnheader' }, title)),
          ),
        ),
        h('tbody', { role: 'rowgroup' }, ...rows),
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
