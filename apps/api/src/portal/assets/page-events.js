// #/events: the event catalog, each event with its description and an example payload.
import { eventCatalog } from './api.js';
import { clear, codeBlock, h, prettyJson } from './dom.js';

export async function renderEvents(main) {
  const catalog = await eventCatalog();
  const index = h(
    'nav',
    { class: 'toc', 'aria-label': 'Events' },
    h(
      'ul',
      null,
      ...catalog.map((entry) =>
        h('li', null, h('a', { href: `#/events`, 'data-target': `event-${entry.name}` }, entry.name)),
      ),
    ),
  );
  index.addEventListener('click', (event) => {
    const target = event.target.closest('a[data-target]');
    if (!target) return;
    event.preventDefault();
    document.getElementById(target.dataset.target)?.scrollIntoView({ block: 'start' });
  });
  clear(main).append(
    h(
      'div',
      { class: 'page-header' },
      h(
        'div',
        null,
        h('h1', null, 'Event catalog'),
        h('p', { class: 'subtitle' }, 'What a webhook can subscribe to, and what each delivery carries.'),
      ),
    ),
    h(
      'div',
      { class: 'catalog' },
      index,
      h(
        'div',
        { class: 'catalog-list' },
        ...catalog.map((entry) =>
          h(
            'section',
            { class: 'card event', id: `event-${entry.name}`, 'aria-labelledby': `title-${entry.name}` },
            h(
              'div',
              { class: 'card-header' },
              h('h2', { id: `title-${entry.name}` }, h('code', null, entry.name)),
              entry.resourceType ? h('span', { class: 'badge badge-neutral' }, entry.resourceType) : null,
            ),
            h('p', null, entry.description ?? ''),
            entry.example === undefined
              ? null
              : h(
                  'details',
                  // Closed until asked for: open, the catalog's examples make a page of metres.
                  { class: 'example' },
                  h('summary', null, 'Example payload'),
                  codeBlock(prettyJson(entry.example)),
                ),
          ),
        ),
      ),
    ),
  );
}
