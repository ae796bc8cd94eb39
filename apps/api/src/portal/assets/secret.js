// A new signing secret, shown once (after create or rotation) with a copy button.
import { copyButton, h } from './dom.js';

export function secretPanel(secret, intro) {
  const panel = h(
    'div',
    { class: 'secret-panel', role: 'status' },
    h('p', { class: 'secret-title' }, intro),
    h(
      'p',
      null,
      'Copy it now: it is shown only this once. Use it to verify the webhook signature of each delivery.',
    ),
    h(
      'div',
      { class: 'secret-row' },
      h('code', { class: 'secret-value', 'data-secret': '' }, secret),
      copyButton(secret),
    ),
  );
  const dismiss = h('button', { type: 'button', class: 'btn btn-small btn-ghost' }, 'I have stored it');
  dismiss.addEventListener('click', () => panel.remove());
  panel.append(dismiss);
  return panel;
}
