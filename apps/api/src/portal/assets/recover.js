// Recover: the webhook's failed deliveries of a recent window become pending and are sent once more
// (README → API → Recovering failed deliveries). The API limits how many per call; the answer says how
// many.
import { api } from './api.js';
import { clear, h, notice } from './dom.js';

const WINDOWS = [
  ['1', 'the last hour'],
  ['6', 'the last 6 hours'],
  ['24', 'the last 24 hours'],
  ['72', 'the last 3 days'],
  ['168', 'the last 7 days'],
];

/** The form shown under the actions; the attempts it causes are highlighted in `log` as they are made. */
export function recoverForm(webhook, { onDone, log }) {
  const select = h(
    'select',
    { id: 'recover-window', name: 'since' },
    ...WINDOWS.map(([hours, label]) => h('option', { value: hours, selected: hours === '24' }, label)),
  );
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send them again');
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Close');
  cancel.addEventListener('click', () => onDone());
  const form = h(
    'form',
    { class: 'card recover-form', 'aria-labelledby': 'recover-title' },
    h('h2', { id: 'recover-title' }, 'Recover failed deliveries'),
    h(
      'p',
      { class: 'hint' },
      'Deliveries that failed for good in this window are sent again, oldest first, each with its original webhook-id.',
    ),
    h(
      'div',
      { class: 'filters' },
      h('label', { for: 'recover-window' }, 'Failed in'),
      select,
      submit,
      cancel,
    ),
    result,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    clear(result);
    try {
      const since = new Date(Date.now() - Number(select.value) * 3600_000).toISOString();
      const watch = await log.beforeAction();
      const { deliveries } = await api.recover(webhook.id, { since });
      // Queued, not yet delivered (as a ping's notice): how they went is the log's new attempts' notice.
      result.append(
        notice(
          'info',
          deliveries === 0
            ? 'Nothing to recover in this window.'
            : deliveries === 1
              ? '1 delivery is being sent again; its attempt appears in the log.'
              : `${deliveries} deliveries are being sent again; their attempts appear in the log.`,
        ),
      );
      if (deliveries > 0) watch.newAttempts({ count: deliveries }).catch(() => {});
    } catch (error) {
      result.append(notice('error', `Recover failed: ${error.message}`));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
