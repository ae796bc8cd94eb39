// A webhook's attempt log: filters by outcome and event, keyset paging, each attempt's request
// and response shown as text, and redeliver (with the new attempt appearing when it is made).
// An attempt counts as new after an action (ping, redeliver, recover) when it was not among the
// newest attempts fetched before the action was sent and, when the action names its event, is of
// that event: what the page happens to show (page 2, a filter) plays no part.
import { api, canWrite, eventCatalog } from './api.js';
import { clear, codeBlock, emptyState, h, notice, prettyJson, time } from './dom.js';
import { attemptBadge } from './status.js';

const PAGE_SIZE = 20;

export function attemptLog(webhook, { onChange } = {}) {
  const state = { success: '', eventName: '', cursors: [null], page: 0, highlight: new Set() };
  const section = h('section', { class: 'card', 'aria-labelledby': 'attempts-title' });
  const status = h('div', { class: 'log-status', 'aria-live': 'polite' });
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading…'));

  const successFilter = h(
    'select',
    { id: 'filter-success', name: 'success' },
    h('option', { value: '' }, 'All outcomes'),
    h('option', { value: 'true' }, 'Succeeded'),
    h('option', { value: 'false' }, 'Failed'),
  );
  const eventFilter = h(
    'select',
    { id: 'filter-event', name: 'eventName' },
    h('option', { value: '' }, 'All events'),
  );
  eventCatalog()
    .then((catalog) =>
      eventFilter.append(...catalog.map((entry) => h('option', { value: entry.name }, entry.name))),
    )
    .catch(() => {});
  for (const [select, key] of [
    [successFilter, 'success'],
    [eventFilter, 'eventName'],
  ]) {
    select.addEventListener('change', () => {
      state[key] = select.value;
      state.cursors = [null];
      state.page = 0;
      load();
    });
  }

  section.append(
    h(
      'div',
      { class: 'card-header' },
      h('h2', { id: 'attempts-title' }, 'Attempt log'),
      h(
        'div',
        { class: 'filters' },
        h('label', { for: 'filter-success' }, 'Outcome'),
        successFilter,
        h('label', { for: 'filter-event' }, 'Event'),
        eventFilter,
      ),
    ),
    status,
    body,
  );

  async function fetchPage() {
    return api.deliveries(webhook.id, {
      limit: PAGE_SIZE,
      cursor: state.cursors[state.page],
      success: state.success,
      eventName: state.eventName,
    });
  }

  async function load() {
    try {
      render(await fetchPage());
    } catch (error) {
      clear(body).append(notice('error', error.message));
    }
  }

  function render(page) {
    clear(body);
    if (page.items.length === 0) {
      body.append(
        emptyState(
          state.success || state.eventName ? 'No attempts match these filters' : 'No delivery attempts yet',
          state.success || state.eventName ? null : h('p', null, 'Send a ping to see one here.'),
        ),
      );
    } else {
      body.append(attemptTable(page.items));
    }
    state.cursors[state.page + 1] = page.nextCursor;
    const newer = h('button', { type: 'button', class: 'btn', disabled: state.page === 0 }, '← Newer');
    const older = h('button', { type: 'button', class: 'btn', disabled: !page.nextCursor }, 'Older →');
    newer.addEventListener('click', () => {
      state.page -= 1;
      load();
    });
    older.addEventListener('click', () => {
      state.page += 1;
      load();
    });
    body.append(
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Attempt log pages' },
        newer,
        h('span', { class: 'muted' }, `Page ${state.page + 1}`),
        older,
      ),
    );
  }

  function attemptTable(items) {
    const rows = [];
    for (const attempt of items) {
      const detailRow = h(
        'tr',
        { class: 'attempt-detail', role: 'row', hidden: true },
        h('td', { role: 'cell', colspan: 6 }, attemptDetail(attempt)),
      );
      const toggle = h(
        'button',
        { type: 'button', class: 'btn btn-small btn-ghost', 'aria-expanded': 'false' },
        'Details',
      );
      let loaded = false;
      toggle.addEventListener('click', async () => {
        detailRow.hidden = !detailRow.hidden;
        if (!loaded && !detailRow.hidden) {
          loaded = true;
          const full = await api.attempt(webhook.id, attempt.id).catch(() => null);
          if (full?.request) detailRow.firstChild.replaceChildren(attemptDetail({ ...attempt, ...full }));
        }
        toggle.setAttribute('aria-expanded', String(!detailRow.hidden));
        toggle.textContent = detailRow.hidden ? 'Details' : 'Hide';
      });
      const actions = h('td', { class: 'actions', role: 'cell' }, toggle);
      if (canWrite()) actions.append(redeliverButton(attempt));
      rows.push(
        h(
          'tr',
          {
            class: ['attempt', state.highlight.has(attempt.id) && 'attempt-new'],
            role: 'row',
            'data-attempt-id': attempt.id,
          },
          h('td', { class: 'nowrap', role: 'cell' }, time(attempt.timestamp)),
          h('td', { role: 'cell' }, h('code', null, attempt.eventName)),
          h('td', { role: 'cell' }, attemptBadge(attempt.success, attempt.statusCode)),
          h('td', { class: 'num', role: 'cell' }, `#${attempt.attempt}`),
          h(
            'td',
            { class: 'num', role: 'cell' },
            attempt.durationMs === null || attempt.durationMs === undefined
              ? '—'
              : `${attempt.durationMs} ms`,
          ),
          actions,
        ),
        detailRow,
      );
    }
    return h(
      'div',
      { class: 'table-wrap' },
      // On a narrow screen each attempt's cells flow onto wrapped lines (app.css, .table-flowing); the
      // explicit roles keep it a table for screen readers once its parts are displayed as blocks.
      h(
        'table',
        { class: 'table attempts table-flowing', role: 'table' },
        h('caption', { class: 'sr-only' }, 'Delivery attempts, newest first'),
        h(
          'thead',
          { role: 'rowgroup' },
          h(
            'tr',
            { role: 'row' },
            ...['Time', 'Event', 'Result', 'Attempt', 'Duration', 'Actions'].map((title) =>
              h('th', { scope: 'col', role: 'columnheader' }, title),
            ),
          ),
        ),
        h('tbody', { role: 'rowgroup' }, ...rows),
      ),
    );
  }

  function redeliverButton(attempt) {
    const button = h('button', { type: 'button', class: 'btn btn-small' }, 'Redeliver');
    button.addEventListener('click', async () => {
      button.disabled = true;
      clear(status);
      try {
        const watch = await beforeAction();
        const { eventId } = await api.redeliver(webhook.id, attempt.id);
        status.append(
          notice('info', `Redelivery of ${attempt.eventName} queued; it appears here once it is made.`),
        );
        await watch.newAttempts({ eventId });
      } catch (error) {
        status.append(notice('error', `Redeliver failed: ${error.message}`));
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  /**
   * Call before sending an action: remembers the newest attempts (whatever page or filter is shown).
   * `newAttempts({eventId, count})` then goes back to the newest page and polls until `count` attempts
   * not remembered (of `eventId`, when given) show up, or 20 s pass, and highlights them.
   */
  async function beforeAction() {
    const newest = () => api.deliveries(webhook.id, { limit: PAGE_SIZE });
    const known = new Set((await newest()).items.map((item) => item.id));
    return {
      async newAttempts({ eventId = null, count = 1 } = {}) {
        // The newest page is all that is polled: more than it holds are never waited for.
        const wanted = Math.min(count, PAGE_SIZE);
        const fresh = new Map();
        const show = async () => {
          state.page = 0;
          state.cursors = [null];
          state.highlight = new Set(fresh.keys());
          await load();
          if (fresh.size === 0) return;
          const made = [...fresh.values()];
          // A failure among them is a failure: styled and announced (role alert) as one.
          clear(status).append(
            notice(made.every((item) => item.success) ? 'success' : 'error', freshSummary(made)),
          );
          onChange?.();
        };
        const deadline = Date.now() + 20_000;
        while (fresh.size < wanted && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const seen = fresh.size;
          // A failed poll is tried again: the action itself was accepted.
          const page = await newest().catch(() => ({ items: [] }));
          for (const item of page.items) {
            if (!known.has(item.id) && (eventId === null || item.eventId === eventId))
              fresh.set(item.id, item);
          }
          // Shown as they come (a recover makes several).
          if (fresh.size > seen) await show();
        }
        if (fresh.size === 0) await show();
      },
    };
  }

  load();
  return { element: section, reload: load, beforeAction };
}

function freshSummary(items) {
  const outcome = (item) => `${item.success ? 'delivered' : 'failed'} (${item.statusCode ?? 'no response'})`;
  if (items.length === 1) return `New attempt: ${outcome(items[0])}.`;
  const delivered = items.filter((item) => item.success).length;
  return `${items.length} new attempts: ${delivered} delivered, ${items.length - delivered} failed.`;
}

function block(title, content) {
  return h('div', { class: 'detail-block' }, h('h3', null, title), content);
}

function headersTable(headers) {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return h('p', { class: 'muted' }, 'None recorded');
  return h(
    'table',
    { class: 'table table-compact kv' },
    h(
      'tbody',
      null,
      ...entries.map(([name, value]) =>
        h('tr', null, h('th', { scope: 'row' }, name), h('td', null, h('code', null, String(value)))),
      ),
    ),
  );
}

/** Request headers and body, response: all text, whatever the receiver or publisher put in them. */
function attemptDetail(attempt) {
  const request = attempt.request ?? null;
  const responseText = attempt.response ?? '';
  return h(
    'div',
    { class: 'attempt-grid' },
    h(
      'div',
      null,
      block(
        'Request headers',
        request?.headers ? headersTable(request.headers) : h('p', { class: 'muted' }, 'Not recorded'),
      ),
      block(
        'Request body',
        typeof request?.body === 'string'
          ? codeBlock(prettyJson(request.body))
          : h('p', { class: 'muted' }, 'Not recorded'),
      ),
    ),
    h(
      'div',
      null,
      block(
        'Response',
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'Status'),
          h(
            'dd',
            null,
            attempt.statusCode === null || attempt.statusCode === undefined
              ? 'No HTTP response'
              : String(attempt.statusCode),
          ),
          attempt.error ? [h('dt', null, 'Error'), h('dd', null, attempt.error)] : null,
          h('dt', null, 'Attempt id'),
          h('dd', null, h('code', null, attempt.id)),
          h('dt', null, 'Event id'),
          h('dd', null, h('code', null, attempt.eventId)),
        ),
      ),
      block(
        'Response body',
        responseText === ''
          ? h('p', { class: 'muted' }, 'Empty')
          : codeBlock(String(responseText), 'response-body'),
      ),
    ),
  );
}
