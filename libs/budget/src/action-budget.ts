/**
 * ACTION_DELIVERY_LIMIT (README → API → Rate limits): what one user's own actions may make the
 * service send per window, counted in deliveries under `QUEUE_PREFIX:action-budget:<sub>`. The API
 * charges an action before it changes anything (its `webhook.*` events, a ping, a redelivery, the
 * deliveries a recover sends again); the worker charges the operational events that attempts of those
 * deliveries cause, and suppresses what the budget cannot cover. Both count the same key.
 */
export const ACTION_BUDGET = 'action-budget';

/**
 * $1 user id, $2 event name, $3 a webhook id not to count (the nil UUID: none). The deliveries an
 * event of the user's own would cause: one per active webhook of the user's without apiId subscribed to
 * it (its payload filter aside: one that will leave the event out counts too).
 */
export const OWN_SUBSCRIBERS_SQL = `
  SELECT count(*)::int AS n FROM webhooks
   WHERE user_id = $1 AND api_id IS NULL AND active AND events @> ARRAY[$2]::text[] AND id <> $3::uuid`;

export const NO_WEBHOOK = '00000000-0000-0000-0000-000000000000';
