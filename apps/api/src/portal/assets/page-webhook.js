// #/webhooks/<id>: one webhook, its actions, its last 24 hours and its attempt log.
import { api, canWrite, currentSession } from './api.js';
import { clear, codeBlock, fill, h, notice, prettyJson, time } from './dom.js';
import { attemptLog } from './attempts.js';
import { renderChart } from './chart.js';
import { recoverForm } from './recover.js';
import { jwksUrl, secretPanel } from './secret.js';
import { lastDelivery, stateBadges, stateExplanation } from './status.js';

export async function renderWebhook(main, id) {
  const webhook = await api.getWebhook(id);
  const flash = h('div', { class: 'flash', 'aria-live': 'polite' });
  const chart = chartArea(webhook.id);
  // The parts that show the webhook's state: refilled from the API after an action's attempts arrive
  // (an attempt can change it: a 410 switches the webhook off, README → Portal → What you can do in it).
  const badges = h('div', null, stateBadges(webhook));
  const explanationBox = h('div');
  let detailsCard = details(webhook);
  const log = attemptLog(webhook, { onChange: () => void refresh() });
  const bar = canWrite() ? actions(webhook, flash, log) : null;
  const showState = (current) => {
    fill(badges, stateBadges(current));
    const explanation = stateExplanation(current);
    fill(explanationBox, explanation ? notice(current.active ? 'warning' : 'error', explanation) : null);
    bar?.update(current);
  };
  let refreshes = 0;
  const refresh = async () => {
    const mine = ++refreshes;
    chart.load();
    const fresh = await api.getWebhook(webhook.id).catch(() => null);
    // Only the newest answer is shown: a recover's attempts arrive one after another.
    if (!fresh || mine !== refreshes) return;
    showState(fresh);
    const next = details(fresh);
    detailsCard.replaceWith(next);
    detailsCard = next;
  };
  showState(webhook);

  fill(
    main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/webhooks' }, '← Webhooks')),
    h(
      'div',
      { class: 'page-header' },
      h('div', { class: 'title-block' }, h('h1', { class: 'webhook-url' }, webhook.url), badges),
      bar?.element,
    ),
    explanationBox,
    flash,
    detailsCard,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'chart-title' },
      h('div', { class: 'card-header' }, h('h2', { id: 'chart-title' }, 'Last 24 hours')),
      chart.element,
    ),
    log.element,
  );
  chart.load();
  const pending = currentSession()?.pendingSecret;
  if (pending?.webhookId === webhook.id) {
    flash.append(secretPanel(pending.secret, webhook.id, pending.change));
    delete currentSession().pendingSecret;
  }
}

/** The chart, drawn at the width it is shown at (so its labels stay readable) and again when that changes. */
function chartArea(id) {
  const element = h('div', { class: 'chart-area' }, h('p', { class: 'loading' }, 'Loading…'));
  let stats = null;
  let drawn = null;
  let drawnWidth = 0;
  const draw = () => {
    drawnWidth = element.clientWidth;
    const next = renderChart(stats, drawnWidth);
    if (drawn) {
      // Its parts, not the figure: the table's <details> stays open or closed as the user left it.
      drawn.querySelector('svg').replaceWith(next.querySelector('svg'));
      drawn.querySelector('.chart-legend').replaceWith(next.querySelector('.chart-legend'));
      drawn.querySelector('.chart-table table').replaceWith(next.querySelector('.chart-table table'));
    } else {
      clear(element).append(next);
      drawn = next;
    }
  };
  new ResizeObserver(() => {
    if (drawn && element.isConnected && Math.abs(element.clientWidth - drawnWidth) >= 8) draw();
  }).observe(element);
  let loads = 0;
  return {
    element,
    async load() {
      const mine = ++loads;
      try {
        const fresh = await api.stats(id);
        if (mine !== loads) return;
        stats = fresh;
        draw();
      } catch (error) {
        if (mine !== loads) return;
        drawn = null;
        clear(element).append(notice('error', `The chart could not be loaded: ${error.message}`));
      }
    },
  };
}

function actionButton(label, handler, kind = '') {
  const button = h('button', { type: 'button', class: ['btn', kind] }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await handler();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function actions(webhook, flash, log) {
  const report = (kind, text) => clear(flash).append(notice(kind, text));
  const buttons = [
    h('a', { class: 'btn', href: `#/webhooks/${encodeURIComponent(webhook.id)}/edit` }, 'Edit'),
    actionButton('Send ping', async () => {
      try {
        const watch = await log.beforeAction();
        const { eventId } = await api.ping(webhook.id);
        report('info', 'Ping queued; its attempt appears in the log below.');
        await watch.newAttempts({ eventId });
      } catch (error) {
        report('error', `Ping failed: ${error.message}`);
      }
    }),
    actionButton('Rotate secret', async () => {
      if (
        !window.confirm(
          'Rotate the signing secret? The old one keeps signing alongside the new one for a while, so receivers can switch over.',
        )
      )
        return;
      try {
        const { secret } = await api.rotateSecret(webhook.id);
        clear(flash).append(secretPanel(secret, webhook.id, 'rotated'));
      } catch (error) {
        report('error', `Rotation failed: ${error.message}`);
      }
    }),
  ];
  // Recover answers 409 for an inactive webhook (nothing is delivered to it): offered on active ones only,
  // and taken away when an attempt switches the webhook off.
  const open = h('button', { type: 'button', class: 'btn', 'aria-expanded': 'false' }, 'Recover failed');
  let form = null;
  const close = () => {
    form?.remove();
    form = null;
    open.setAttribute('aria-expanded', 'false');
  };
  open.addEventListener('click', () => {
    if (form) return close();
    form = recoverForm(webhook, { onDone: close, log });
    flash.after(form);
    open.setAttribute('aria-expanded', 'true');
    form.querySelector('select').focus();
  });
  buttons.push(open);
  buttons.push(
    actionButton(
      'Delete',
      async () => {
        if (!window.confirm('Delete this webhook? Its deliveries stop at once. This cannot be undone.'))
          return;
        try {
          await api.deleteWebhook(webhook.id);
          location.hash = '#/webhooks';
        } catch (error) {
          report('error', `Delete failed: ${error.message}`);
        }
      },
      'btn-danger',
    ),
  );
  return {
    element: h('div', { class: 'actions-bar', role: 'group', 'aria-label': 'Webhook actions' }, ...buttons),
    update(current) {
      open.hidden = !current.active;
      if (current.active || !form) return;
      // Its result stays readable in the log and the state notice; focus must not stay in a removed form.
      const focused = form.contains(document.activeElement);
      close();
      if (focused) document.getElementById('main')?.focus({ preventScroll: true });
    },
  };
}

function fact(term, ...value) {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, ...value));
}

function details(webhook) {
  const headerNames = Object.keys(webhook.headers ?? {});
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'details-title' },
    h('div', { class: 'card-header' }, h('h2', { id: 'details-title' }, 'Details')),
    h(
      'dl',
      { class: 'facts facts-grid' },
      fact('Webhook id', h('code', null, webhook.id)),
      fact(
        'Events',
        h(
          'span',
          { class: 'chips' },
          ...webhook.events.map((event) => h('code', { class: 'chip' }, event.name)),
        ),
      ),
      fact('Last delivery', lastDelivery(webhook)),
      fact(
        'Events of',
        h('code', null, webhook.userId),
        webhook.apiId ? [' · API ', h('code', null, webhook.apiId)] : ' · all APIs',
      ),
      fact('Rate limit', webhook.rateLimit ? `${webhook.rateLimit} deliveries per second` : 'None'),
      webhook.signing === 'ed25519'
        ? fact(
            'Signing',
            h('span', null, 'Ed25519'),
            ' · ',
            h('a', { href: jwksUrl(webhook.id), target: '_blank', rel: 'noopener' }, 'public keys (JWKS)'),
          )
        : fact('Signing', 'HMAC-SHA256'),
      fact('Ordering', webhook.ordering === 'fifo' ? 'FIFO, one at a time' : 'None (concurrent)'),
      fact(
        'Custom headers',
        headerNames.length
          ? h('span', { class: 'chips' }, ...headerNames.map((name) => h('code', { class: 'chip' }, name)))
          : 'None',
      ),
      fact('Created', time(webhook.createdAt)),
      fact('Updated', time(webhook.updatedAt)),
      webhook.filter ? fact('Payload filter', codeBlock(prettyJson(webhook.filter))) : null,
      webhook.custom ? fact('Custom data', codeBlock(prettyJson(webhook.custom))) : null,
    ),
  );
}
