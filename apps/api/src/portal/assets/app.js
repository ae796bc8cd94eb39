// The portal: hash routes, one page at a time in <main>.
import { api, ApiError, currentSession, canWrite, loadSession } from './api.js';
import { clear, h, notice } from './dom.js';
import { renderEvents } from './page-events.js';
import { renderWebhookForm } from './page-form.js';
import { renderWebhook } from './page-webhook.js';
import { renderWebhooks } from './page-webhooks.js';

const main = document.getElementById('main');

const routes = [
  [/^#\/webhooks\/?$/, () => renderWebhooks(main), 'webhooks'],
  [/^#\/webhooks\/new$/, () => renderWebhookForm(main, null), 'webhooks'],
  [/^#\/webhooks\/([^/]+)\/edit$/, (id) => renderWebhookForm(main, id), 'webhooks'],
  [/^#\/webhooks\/([^/]+)$/, (id) => renderWebhook(main, id), 'webhooks'],
  [/^#\/events\/?$/, () => renderEvents(main), 'events'],
];

let generation = 0;

async function route() {
  const hash = location.hash || '#/webhooks';
  const current = ++generation;
  for (const [pattern, render, nav] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    for (const link of document.querySelectorAll('[data-nav]')) {
      if (link.dataset.nav === nav) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    clear(main).append(h('p', { class: 'loading' }, 'Loading…'));
    try {
      await render(...match.slice(1).map(decodeURIComponent));
    } catch (error) {
      if (current === generation) showError(error);
    }
    return;
  }
  clear(main).append(
    h('h1', null, 'Page not found'),
    h('p', null, h('a', { href: '#/webhooks' }, 'Back to your webhooks')),
  );
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) return showSignedOut();
  const title = error instanceof ApiError && error.status === 404 ? 'Not found' : 'Something went wrong';
  clear(main).append(
    h('h1', null, title),
    notice('error', error instanceof Error ? error.message : String(error)),
    h('p', null, h('a', { href: '#/webhooks' }, 'Back to your webhooks')),
  );
}

function showSignedOut() {
  clear(document.getElementById('session'));
  // Nothing behind the links works without a session.
  document.querySelector('.topbar nav').hidden = true;
  // The same words as the server's 401 page for /portal/ without a session (portal.controller.ts).
  clear(main).append(
    h('h1', null, 'Not signed in'),
    h('p', null, 'Open the portal from ApiTree’s dashboard: it gives you a link that signs you in.'),
  );
}

function renderSession() {
  const session = currentSession();
  const box = clear(document.getElementById('session'));
  const who = session.user?.nickname || session.user?.id || session.sub;
  if (who) box.append(h('span', { class: 'who' }, String(who)));
  const signOut = h('button', { type: 'button', class: 'btn btn-small btn-on-dark' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    await api.logout().catch(() => {});
    showSignedOut();
  });
  box.append(
    canWrite()
      ? h('span', { class: 'badge badge-neutral' }, 'Can manage')
      : h(
          'span',
          { class: 'badge badge-neutral', title: 'This link can view webhooks but not change them' },
          'Read-only',
        ),
    signOut,
  );
}

async function start() {
  try {
    await loadSession();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showSignedOut();
    return showError(error);
  }
  renderSession();
  window.addEventListener('hashchange', () => {
    route();
    main.focus({ preventScroll: true });
  });
  await route();
}

start();
