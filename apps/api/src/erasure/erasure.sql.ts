/*
 * The statements of an erasure (README → API → Erasure), run in this order in one transaction.
 * Each is set-based and reaches its rows through an existing index (webhooks by owner, attempts by
 * (webhook, time), deliveries by webhook, events by primary key, deliveries by (event, webhook) for
 * the "still needed" check), so their time grows with the user's own data only.
 */

/**
 * $1 user id. Locks the webhooks first: a fan-out inserting a delivery for one of them holds a
 * key-share lock on it, so once this returns, every such delivery is committed and seen below;
 * later ones wait for the erasure, then find the webhook gone (their job retries without it).
 * `user_id` has no index of its own here (only the fan-out's partial one): the table is bounded by
 * WEBHOOK_LIMIT_PER_USER per user, so the scan stays short. A worker recording an attempt locks the
 * delivery and then, when the failure streak changes, the webhook: meeting an erasure the other way
 * round, PostgreSQL ends one of the two after deadlock_timeout — the erasure answers 503 (retry), or
 * the worker's batch is run again row by row and finds the delivery gone.
 */
export const LOCK_WEBHOOKS_SQL = `
  SELECT id FROM webhooks WHERE owner_id = $1 OR user_id = $1 ORDER BY id FOR UPDATE`;

/** $1 webhook ids. */
export const DELETE_ATTEMPTS_SQL = `
  WITH gone AS (DELETE FROM delivery_attempts WHERE webhook_id = ANY($1::uuid[]) RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;

/**
 * $1 webhook ids. Every status: pending, paused, claimed mid-attempt (the worker's record then
 * finds no row and records nothing), finished. Returns the events they referred to.
 */
export const DELETE_DELIVERIES_SQL = `
  WITH gone AS (DELETE FROM deliveries WHERE webhook_id = ANY($1::uuid[]) RETURNING event_id, status)
  SELECT count(*)::int AS n,
         (count(*) FILTER (WHERE status IN ('pending', 'paused')))::int AS pending,
         COALESCE(array_agg(DISTINCT event_id), '{}') AS "eventIds"
    FROM gone`;

/**
 * $1 event ids. Events are shared by id between fan-outs (an API's event goes to every subscriber):
 * locking them waits out any fan-out adding a delivery for one right now, so the next statement,
 * with a fresh snapshot, sees it and keeps that event.
 */
export const LOCK_EVENTS_SQL = `
  WITH locked AS (SELECT id FROM events WHERE id = ANY($1::text[]) FOR UPDATE)
  SELECT count(*)::int AS n FROM locked`;

/** $1 event ids: those no delivery refers to any more. */
export const DELETE_EVENTS_SQL = `
  WITH gone AS (
    DELETE FROM events e
     WHERE e.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
    RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;

/**
 * $1 user id, $2 webhook ids. Lifecycle events not relayed yet: for the user's webhooks (`ownerId`),
 * or about one of the erased webhooks (an organization's, made by another member). The outbox is
 * emptied every second, so the scan is of a handful of rows.
 */
export const DELETE_OUTBOX_SQL = `
  WITH gone AS (
    DELETE FROM event_outbox
     WHERE envelope->>'ownerId' = $1 OR envelope->'resource'->>'id' = ANY($2::text[])
    RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;

/** $1 webhook ids (nothing left to cascade to). */
export const DELETE_WEBHOOKS_SQL = `
  WITH gone AS (DELETE FROM webhooks WHERE id = ANY($1::uuid[]) RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;
