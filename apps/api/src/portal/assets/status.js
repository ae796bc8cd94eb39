// How a webhook's state reads: active, disabled (and why), paused, slow; the last delivery.
import { badge, formatTime, h, relativeTime } from './dom.js';

const DISABLED_REASONS = {
  gone: 'its URL answered 410 Gone',
  failing: 'deliveries kept failing',
  membership: 'you are no longer in its organization',
};

export function disabledText(webhook) {
  if (webhook.active) return null;
  const why = DISABLED_REASONS[webhook.disabledReason];
  return why ? `Disabled: ${why}` : 'Disabled';
}

/**
 * An active webhook whose last attempt failed (`lastDelivery.success` false) and that is not paused (a
 * paused one has its own badge and explanation): it is failing now, whatever its first badge says.
 */
export function isFailing(webhook) {
  return Boolean(
    webhook.active && webhook.lastDelivery?.success === false && webhook.deliveryHealth?.state !== 'paused',
  );
}

/** Badges: state, then delivery health when it is not plain healthy, then Failing (isFailing). */
export function stateBadges(webhook) {
  const badges = [];
  if (webhook.active) badges.push(badge('Active', 'success'));
  else if (webhook.disabledReason) badges.push(badge(`Disabled (${webhook.disabledReason})`, 'danger'));
  else badges.push(badge('Disabled', 'neutral'));
  const health = webhook.deliveryHealth;
  if (webhook.active && health?.state === 'paused') {
    const until = health.pausedUntil;
    const label =
      until && Date.parse(until) > Date.now() ? `Paused until ${formatTime(until)}` : 'Paused, probing';
    badges.push(badge(label, 'warning'));
  } else if (webhook.active && health?.state === 'slow') {
    badges.push(badge('Slow', 'warning'));
  }
  if (isFailing(webhook)) badges.push(badge('Failing', 'danger'));
  return h('span', { class: 'badges' }, ...badges);
}

export function attemptBadge(success, statusCode) {
  const code = statusCode === null || statusCode === undefined ? 'no response' : String(statusCode);
  return success
    ? badge(`OK ${code}`, 'success')
    : badge(`Failed ${code === 'no response' ? '' : code}`.trim(), 'danger');
}

export function lastDelivery(webhook) {
  const last = webhook.lastDelivery;
  if (!last) return h('span', { class: 'muted' }, 'Never');
  return h(
    'span',
    { class: 'last-delivery' },
    attemptBadge(last.success, last.statusCode),
    ' ',
    h('time', { datetime: last.timestamp, title: formatTime(last.timestamp) }, relativeTime(last.timestamp)),
  );
}

/** The hint a paused or disabled webhook deserves, in words. */
export function stateExplanation(webhook) {
  if (!webhook.active) {
    const text = disabledText(webhook);
    return webhook.disabledReason
      ? `${text}. Nothing is delivered until it is switched on again (Edit → Active).`
      : `${text}. Nothing is delivered until it is switched on again.`;
  }
  const health = webhook.deliveryHealth;
  if (health?.state === 'paused') {
    return health.pausedUntil && Date.parse(health.pausedUntil) > Date.now()
      ? `The endpoint kept timing out or refusing connections. Deliveries wait until ${formatTime(health.pausedUntil)}, when one probe is sent; they resume once it succeeds.`
      : 'The endpoint kept timing out or refusing connections. A probe is being sent; deliveries resume once it succeeds.';
  }
  if (isFailing(webhook)) {
    const code = webhook.lastDelivery.statusCode;
    return `The last delivery attempt failed (${code === null || code === undefined ? 'no response' : code}): the attempt log shows what the endpoint answered.`;
  }
  if (health?.state === 'slow')
    return 'The endpoint answers slowly; its deliveries share the slow part of the delivery capacity.';
  return null;
}
