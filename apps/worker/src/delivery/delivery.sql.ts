import { prepared } from '@app/database';

/*
 * The delivery hot path's statements, prepared once per connection (an UPDATE … RETURNING run
 * through TypeORM is wrapped in a CTE: its query() answers a bare one with [rows, count]). Each works on a batch (arrays in, one row per item out) and
 * reaches deliveries by primary key only: IDX_deliveries_due is the sweeper's. A test EXPLAINs each
 * against a large backlog and fails when a plan flips (delivery-plans.e2e-spec.ts).
 */

const SECRETS = `ARRAY_REMOVE(ARRAY[w.secret, CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END], NULL)`;

/**
 * $1 delivery ids, $2 claim length in ms. A delivery whose webhook is inactive is dropped here
 * rather than claimed. `status || ''` keeps the planner off the partial due index (its predicate
 * can no longer be proven), which it would otherwise pick when stale statistics make the pending
 * backlog look tiny, and then read the whole backlog once per claim.
 */
export const CLAIM_SQL = prepared(
  'delivery_claim',
  `
  WITH claimed AS (
  UPDATE deliveries d
     SET locked_until = CASE WHEN w.active THEN now() + $2 * interval '1 millisecond' END,
         status = CASE WHEN w.active THEN d.status ELSE 'dropped' END,
         updated_at = CASE WHEN w.active THEN d.updated_at ELSE now() END
    FROM unnest($1::uuid[]) AS t(id), webhooks w
   WHERE d.id = t.id AND w.id = d.webhook_id
     AND d.status || '' = 'pending' AND d.next_attempt_at <= now() + interval '1 second'
     AND (d.locked_until IS NULL OR d.locked_until < now())
  RETURNING d.id AS "deliveryId", d.attempts, d.event_id AS "eventId", w.id AS "webhookId", w.url, w.active,
            ${SECRETS} AS secrets)
  SELECT * FROM claimed`,
);

/** $1 event ids. */
export const EVENT_BODIES_SQL = prepared(
  'delivery_event_bodies',
  `SELECT id, name, body FROM events WHERE id = ANY($1::text[])`,
);

/** $1 delivery id. */
export const DELIVERY_STATE_SQL = prepared(
  'delivery_state',
  `
  SELECT d.id AS "deliveryId", d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt",
         d.locked_until AS "lockedUntil", d.event_id AS "eventId",
         w.id AS "webhookId", w.url, w.active, ${SECRETS} AS secrets
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
   WHERE d.id = $1`,
);

/*
 * One row per attempt: $1 attempt id, $2 delivery id, $3 webhook id, $4 event id, $5 event name,
 * $6 success, $7 status code, $8 response, $9 error, $10 duration ms, $11 new delivery status
 * (null: unchanged), $12 next attempt at (null: unchanged), $13 manual, $14 gone; $15 disable-after ms.
 *
 * - attempts counts every attempt, so the row's number is unique even when a manual redelivery
 *   races a scheduled attempt; a manual one leaves locked_until (the scheduled attempt's lease) and
 *   the schedule alone, and nothing moves a succeeded delivery back to pending.
 * - the last attempt of the batch per webhook decides its streak; rows are locked in id order so
 *   two batches never deadlock on two webhooks.
 * - mayDisable reads the streak as it was before this statement (a streak it starts began now).
 */
export const RECORD_ATTEMPTS_SQL = prepared(
  'delivery_record_attempts',
  `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::boolean[],
                         $7::int[], $8::text[], $9::text[], $10::int[], $11::text[], $12::timestamptz[],
                         $13::boolean[], $14::boolean[])
      WITH ORDINALITY AS i(attempt_id, delivery_id, webhook_id, event_id, event_name, success, status_code,
                           response, error, duration_ms, status, next_attempt_at, manual, gone, ord)
  ), delivery AS (
    UPDATE deliveries d
       SET attempts = d.attempts + 1,
           status = CASE WHEN d.status = 'succeeded' THEN d.status ELSE COALESCE(i.status, d.status) END,
           next_attempt_at = CASE WHEN i.manual THEN d.next_attempt_at
                                  ELSE COALESCE(i.next_attempt_at, d.next_attempt_at) END,
           locked_until = CASE WHEN i.manual THEN d.locked_until END,
           updated_at = now()
      FROM input i
     WHERE d.id = i.delivery_id
    RETURNING d.id, d.attempts
  ), attempt AS (
    INSERT INTO delivery_attempts
      (id, delivery_id, webhook_id, event_id, event_name, attempt, success, status_code, response, error, duration_ms)
    SELECT i.attempt_id, i.delivery_id, i.webhook_id, i.event_id, i.event_name, d.attempts, i.success,
           i.status_code, i.response, i.error, i.duration_ms
      FROM input i JOIN delivery d ON d.id = i.delivery_id
  ), streak AS (
    SELECT DISTINCT ON (i.webhook_id) i.webhook_id, i.success
      FROM input i JOIN delivery d ON d.id = i.delivery_id
     ORDER BY i.webhook_id, i.ord DESC
  ), changed AS (
    SELECT w.id, s.success FROM webhooks w JOIN streak s ON s.webhook_id = w.id
     WHERE (s.success AND w.failing_since IS NOT NULL) OR (NOT s.success AND w.failing_since IS NULL)
     ORDER BY w.id
       FOR NO KEY UPDATE OF w
  ), streak_updated AS (
    UPDATE webhooks w SET failing_since = CASE WHEN c.success THEN NULL ELSE now() END
      FROM changed c WHERE w.id = c.id
  )
  SELECT d.attempts AS attempt,
         (NOT i.success AND w.active
           AND (i.gone OR COALESCE(w.failing_since, now()) <= now() - $15 * interval '1 millisecond')) AS "mayDisable"
    FROM input i
    LEFT JOIN delivery d ON d.id = i.delivery_id
    LEFT JOIN webhooks w ON w.id = i.webhook_id
   ORDER BY i.ord`,
);

/**
 * $1 webhook id, $2 gone, $3 disable-after ms. Decides on the locked row; returns the webhook only
 * when this call switched it off. NO KEY UPDATE: foreign-key checks take KEY SHARE on the row,
 * which FOR UPDATE would conflict with (a deadlock between two attempts to one webhook).
 */
export const DISABLE_WEBHOOK_SQL = `
  WITH previous AS (
    SELECT id, active, failing_since FROM webhooks WHERE id = $1 FOR NO KEY UPDATE
  ), decided AS (
    SELECT id, CASE WHEN NOT active THEN NULL
                    WHEN $2 THEN 'gone'
                    WHEN failing_since <= now() - $3 * interval '1 millisecond' THEN 'failing'
               END AS reason
      FROM previous
  ), disabled AS (
  UPDATE webhooks w SET active = false, disabled_reason = decided.reason
    FROM decided
   WHERE w.id = decided.id AND decided.reason IS NOT NULL
  RETURNING w.id, w.owner_id AS "ownerId", w.owner_nickname AS "ownerNickname", w.user_id AS "userId",
            w.api_id AS "apiId", w.url, w.events, w.active, w.custom, w.disabled_reason AS "disabledReason",
            w.created_at AS "createdAt", w.updated_at AS "updatedAt")
  SELECT * FROM disabled`;

/** $1 webhook id, $2 the delivery whose attempt disabled it: that one failed, the others are dropped. */
export const DROP_OTHER_DELIVERIES_SQL = `
  UPDATE deliveries SET status = CASE WHEN id = $2 THEN 'failed' ELSE 'dropped' END,
                        locked_until = NULL, updated_at = now()
   WHERE webhook_id = $1 AND status = 'pending'`;
