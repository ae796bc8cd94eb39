import { prepared } from '@app/database';
import { webhookEventColumns } from '@app/outbox';

/*
 * The delivery hot path's statements, prepared once per connection (an UPDATE … RETURNING run
 * through TypeORM is wrapped in a CTE: its query() answers a bare one with [rows, count]). Each works on a batch (arrays in, one row per item out) and
 * reaches deliveries by primary key only: IDX_deliveries_due is the sweeper's. A test EXPLAINs each
 * against a large backlog and fails when a plan flips (delivery-plans.e2e-spec.ts).
 */

const SECRETS = `ARRAY_REMOVE(ARRAY[w.secret, CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END], NULL)`;

const ENDPOINT_STATE = `w.id AS "webhookId", w.url, w.active, w.failing_since AS "failingSince", w.rate_limit AS "rateLimit",
  w.first_success_at IS NOT NULL AS "hasSucceeded",
  w.paused_until IS NOT NULL AS paused, w.pause_count AS "pauseCount", w.probe_delivery_id AS "probeDeliveryId",
  w.ordering,
  ${SECRETS} AS secrets, w.headers AS "storedHeaders"`;

/**
 * Whether the delivery's event was erased (README → API → Erasure): then it is dropped, never sent.
 * For a manual redelivery only (DELIVERY_STATE_SQL), which may ask for a delivery that ended before
 * the erasure. The claim needs no such check: an erasure drops every unfinished delivery of the
 * events it erases while it holds their rows, fan-out adds none to an erased event (it reads the row
 * under a key-share lock), a recover skips them, and a dropped delivery stays dropped; so no delivery
 * of an erased event can be claimed once the erasure has committed. One claimed before finds no body
 * (EVENT_BODIES_SQL) and is dropped.
 */
const EVENT_ERASED = `EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id AND e.erased_at IS NOT NULL) AS "eventErased"`;

/**
 * $1 delivery ids, $2 claim length in ms. Claims due, pending deliveries with their webhook's state;
 * what happens next (attempt, drop, park) is the lifecycle's call (lifecycle.ts beforeAttempt).
 * Events are not read here (EVENT_ERASED says why).
 * `status || ''` keeps the planner off the partial due index (its predicate can no longer be
 * proven), which it would otherwise pick when stale statistics make the pending backlog look tiny,
 * and then read the whole backlog once per claim.
 */
export const CLAIM_SQL = prepared(
  'delivery_claim',
  `
  WITH claimed AS (
  UPDATE deliveries d
     SET locked_until = now() + $2 * interval '1 millisecond'
    FROM unnest($1::uuid[]) AS t(id), webhooks w
   WHERE d.id = t.id AND w.id = d.webhook_id
     AND d.status || '' = 'pending' AND d.next_attempt_at <= now() + interval '1 second'
     AND (d.locked_until IS NULL OR d.locked_until < now())
  RETURNING d.id AS "deliveryId", d.attempts, d.event_id AS "eventId",
            d.exhausted_at IS NOT NULL AS recovered, ${ENDPOINT_STATE})
  SELECT * FROM claimed`,
);

/**
 * $1 delivery ids, $2 their new status, $3 when a delivery pending again is due (null: unchanged):
 * claimed deliveries set aside unattempted (dropped, paused, or pending again: the claim let go).
 * `status || ''`: by primary key only, as for the claim.
 */
export const SET_ASIDE_SQL = prepared(
  'delivery_set_aside',
  `
  WITH input AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS i(id, status, not_before)),
  updated AS (
  UPDATE deliveries d
     SET status = i.status, locked_until = NULL, updated_at = now(),
         next_attempt_at = COALESCE(i.not_before, d.next_attempt_at)
    FROM input i WHERE d.id = i.id AND d.status || '' = 'pending'
  RETURNING d.id)
  SELECT count(*)::int AS n FROM updated`,
);

/**
 * $1 event ids: the bodies to send, by primary key. An erased event has none (its body is empty,
 * and an empty body is never signed or sent): a delivery claimed just before its erasure committed
 * finds none and is dropped.
 */
export const EVENT_BODIES_SQL = prepared(
  'delivery_event_bodies',
  `SELECT id, name, body FROM events WHERE id = ANY($1::text[]) AND erased_at IS NULL`,
);

/** $1 delivery id; the erasure check is here (EVENT_ERASED). */
export const DELIVERY_STATE_SQL = prepared(
  'delivery_state',
  `
  SELECT d.id AS "deliveryId", d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt",
         d.locked_until AS "lockedUntil", d.event_id AS "eventId",
         d.exhausted_at IS NOT NULL AS recovered, ${ENDPOINT_STATE}, ${EVENT_ERASED}
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
   WHERE d.id = $1`,
);

/*
 * One row per attempt: $1 attempt id, $2 delivery id, $3 webhook id, $4 event id, $5 event name,
 * $6 success, $7 status code, $8 response, $9 error, $10 duration ms, $11 new delivery status
 * (null: unchanged), $12 next attempt at (null: unchanged), $13 manual, $14 the URL attempted,
 * $15 the failure count that publishes webhook.failing, $16 the URL as the log shows it (masked),
 * $17 the headers sent (JSON, custom values redacted), $18 the body sent when not the event's (else null).
 *
 * - attempts counts every attempt, so the row's number is unique even when a manual redelivery
 *   races a scheduled attempt; a manual one leaves locked_until (the scheduled attempt's lease) and
 *   the schedule alone. A finished delivery keeps its status: nothing moves a succeeded one back to
 *   pending, nor a dropped one (an erasure or a disabling dropped it while the attempt was under way,
 *   README → API → Erasure): it stays dropped, is not retried and publishes no delivery.exhausted.
 * - `rendered`: an attempt that sent a body of its own (a Slack rendering) stores it only while its
 *   event is not erased. The event row is read under a key-share lock, which an erasure's lock of it
 *   (FOR UPDATE) either waits for (its later statements then see this attempt row and clear its body)
 *   or makes this statement wait for (it then reads erased_at as the erasure left it). MATERIALIZED
 *   and joined by the delivery update, so the event rows are locked before the deliveries, in the
 *   erasure's order. Empty, and so no lookup, for attempts that sent the event's own body.
 * - exhausted_at is set here, once in a delivery's life, when the new status is failed: with the
 *   status, so no later error (the operational events' savepoint) can leave a failed delivery
 *   unmarked and let a later failure publish delivery.exhausted again (README → Operational events).
 * - the last attempt of the batch per webhook decides its streak; rows are locked in id order so
 *   two batches never deadlock on two webhooks.
 * - a success sets first_success_at once (it lifts the short schedule of unproven endpoints), and
 *   only while the webhook still has the URL that answered: the API resets it when the URL changes,
 *   so an answer from the old URL arriving after that change proves nothing about the new one.
 * - failure_count counts failures in a row up to $15 only, so a webhook's row is written by its first
 *   $15 failures and its first success after them, never by a failure beyond them. Per webhook, the
 *   batch's failures after its last success count; one row per webhook (its last attempt's) reports
 *   `failing` (the count reached $15 now) and `recovered` (a success ended a count at $15).
 * - `exhausted`: this attempt ended its delivery failed and marked it now (exhausted_at = now(), the
 *   transaction's start; a mark by any other transaction carries its own): delivery.exhausted is to
 *   be published for it (README → Operational events).
 */
export const RECORD_ATTEMPTS_SQL = prepared(
  'delivery_record_attempts',
  `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::boolean[],
                         $7::int[], $8::text[], $9::text[], $10::int[], $11::text[], $12::timestamptz[],
                         $13::boolean[], $14::text[], $16::text[], $17::jsonb[], $18::text[])
      WITH ORDINALITY AS i(attempt_id, delivery_id, webhook_id, event_id, event_name, success, status_code,
                           response, error, duration_ms, status, next_attempt_at, manual, url,
                           request_url, request_headers, request_body, ord)
  ), rendered AS MATERIALIZED (
    SELECT e.id, e.erased_at IS NOT NULL AS erased FROM events e
     WHERE e.id = ANY(ARRAY(SELECT event_id FROM input WHERE request_body IS NOT NULL))
       FOR KEY SHARE OF e
  ), delivery AS (
    UPDATE deliveries d
       SET attempts = d.attempts + 1,
           status = CASE WHEN d.status IN ('succeeded', 'dropped') THEN d.status
                         ELSE COALESCE(i.status, d.status) END,
           exhausted_at = COALESCE(d.exhausted_at,
                                   CASE WHEN d.status NOT IN ('succeeded', 'dropped') AND i.status = 'failed'
                                        THEN now() END),
           next_attempt_at = CASE WHEN i.manual THEN d.next_attempt_at
                                  ELSE COALESCE(i.next_attempt_at, d.next_attempt_at) END,
           locked_until = CASE WHEN i.manual THEN d.locked_until END,
           updated_at = now()
      FROM input i LEFT JOIN rendered r ON r.id = i.event_id
     WHERE d.id = i.delivery_id
    RETURNING d.id, d.attempts, d.status, COALESCE(r.erased, false) AS erased,
              COALESCE(d.status = 'failed' AND d.exhausted_at = now(), false) AS exhausted
  ), attempt AS (
    INSERT INTO delivery_attempts
      (id, delivery_id, webhook_id, event_id, event_name, attempt, success, status_code, response, error, duration_ms,
       request_url, request_headers, request_body)
    SELECT i.attempt_id, i.delivery_id, i.webhook_id, i.event_id, i.event_name, d.attempts, i.success,
           i.status_code, i.response, i.error, i.duration_ms, i.request_url, i.request_headers,
           CASE WHEN NOT d.erased THEN i.request_body END
      FROM input i JOIN delivery d ON d.id = i.delivery_id
  ), streak AS (
    SELECT DISTINCT ON (i.webhook_id) i.webhook_id, i.success, i.ord
      FROM input i JOIN delivery d ON d.id = i.delivery_id
     ORDER BY i.webhook_id, i.ord DESC
  ), tally AS (
    SELECT a.webhook_id, bool_or(a.success) AS succeeded,
           count(*) FILTER (WHERE NOT a.success AND a.ord > COALESCE(a.last_ok, 0))::int AS failures
      FROM (SELECT i.webhook_id, i.ord, i.success,
                   max(i.ord) FILTER (WHERE i.success) OVER (PARTITION BY i.webhook_id) AS last_ok
              FROM input i JOIN delivery d ON d.id = i.delivery_id) a
     GROUP BY a.webhook_id
  ), answered AS (
    SELECT DISTINCT i.webhook_id, i.url
      FROM input i JOIN delivery d ON d.id = i.delivery_id
     WHERE i.success
  ), changed AS (
    SELECT w.id, s.success, t.succeeded, w.failure_count AS failures_before, w.failing_since AS failing_since_before,
           LEAST($15::int, CASE WHEN t.succeeded THEN t.failures ELSE w.failure_count + t.failures END) AS failures_after
      FROM webhooks w JOIN streak s ON s.webhook_id = w.id JOIN tally t ON t.webhook_id = w.id
     WHERE (s.success AND w.failing_since IS NOT NULL) OR (NOT s.success AND w.failing_since IS NULL)
        OR (w.first_success_at IS NULL
            AND EXISTS (SELECT 1 FROM answered a WHERE a.webhook_id = w.id AND a.url = w.url))
        OR (t.succeeded AND w.failure_count > 0) OR (t.failures > 0 AND w.failure_count < $15::int)
     ORDER BY w.id
       FOR NO KEY UPDATE OF w
  ), streak_updated AS (
    UPDATE webhooks w
       SET failing_since = CASE WHEN c.success THEN NULL ELSE COALESCE(w.failing_since, now()) END,
           failure_count = c.failures_after,
           first_success_at = CASE
             WHEN w.first_success_at IS NULL
              AND EXISTS (SELECT 1 FROM answered a WHERE a.webhook_id = w.id AND a.url = w.url) THEN now()
             ELSE w.first_success_at END
      FROM changed c WHERE w.id = c.id
  )
  SELECT d.attempts AS attempt, d.status AS "deliveryStatus", COALESCE(d.exhausted, false) AS exhausted,
         COALESCE(c.failures_after >= $15::int AND (c.succeeded OR c.failures_before < $15::int), false) AS failing,
         COALESCE(c.succeeded AND c.failures_before >= $15::int, false) AS recovered,
         COALESCE(c.failing_since_before, now()) AS "failingSince"
    FROM input i
    LEFT JOIN delivery d ON d.id = i.delivery_id
    LEFT JOIN streak s ON s.webhook_id = i.webhook_id AND s.ord = i.ord
    LEFT JOIN changed c ON c.id = s.webhook_id
   ORDER BY i.ord`,
);

/**
 * $1 webhook id, $2 reason, $3 the failure streak's start the decision saw (null for gone). Persists
 * the lifecycle's decision once: only while the webhook is active and that streak still runs (not
 * ended by a success and started anew meanwhile), so concurrent failures disable it once. Its circuit
 * goes with it. Returns the webhook when this call switched it off, as its webhook.disabled shows it.
 */
export const DISABLE_WEBHOOK_SQL = `
  WITH disabled AS (
  UPDATE webhooks w
     SET active = false, disabled_reason = $2,
         paused_until = NULL, pause_count = 0, probe_delivery_id = NULL, probe_started_at = NULL
   WHERE w.id = $1 AND w.active
     AND ($3::timestamptz IS NULL OR w.failing_since < $3::timestamptz + interval '1 millisecond')
  RETURNING ${webhookEventColumns('w')})
  SELECT * FROM disabled`;

/**
 * $1 the delivery whose attempt disabled its webhook: failed, unless it already ended, and marked
 * exhausted once in its life (as RECORD_ATTEMPTS_SQL marks it). Returns it when this marked it:
 * delivery.exhausted is to be published for it.
 */
export const FAIL_DELIVERY_SQL = `
  WITH failed AS (
  UPDATE deliveries
     SET status = 'failed', locked_until = NULL, updated_at = now(), exhausted_at = COALESCE(exhausted_at, now())
   WHERE id = $1 AND status IN ('pending', 'paused')
  RETURNING id, exhausted_at = now() AS marked)
  SELECT id FROM failed WHERE marked`;

/** $1 webhook id: the rest of a disabled webhook's backlog is dropped. */
export const DROP_OTHER_DELIVERIES_SQL = `
  UPDATE deliveries SET status = 'dropped', locked_until = NULL, updated_at = now()
   WHERE webhook_id = $1 AND status IN ('pending', 'paused', 'queued')`;
