/*
 * The statements of an erasure (README → API → Erasure), run in this order in one transaction.
 * Each is set-based and reaches its rows through an index (webhooks by owner, attempts by
 * (webhook, time), deliveries by webhook, events by primary key, owner and user, deliveries by
 * (event, webhook) for the "still needed" check, portal rows by user), so their time grows with the
 * user's own data only.
 */

/**
 * $1 user id. Locks the webhooks first: a fan-out inserting a delivery for one of them holds a
 * key-share lock on it, so once this returns, every such delivery is committed and seen below;
 * later ones wait for the erasure, then find the webhook gone (their job retries without it).
 * `user_id` has no index of its own here (only the fan-out's partial one): the table is bounded by
 * WEBHOOK_LIMIT_PER_USER per user, so the scan stays short. A worker recording an attempt locks the
 * delivery and then, when the failure streak changes, the webhook: meeting an erasure the other way
 * round, PostgreSQL ends one of the two after deadlock_timeout — the erasure answers 503 (retry), or
 * the worker's batch is run again row by row and finds the delivery gone. So with a record that
 * stores a Slack rendering, which locks its event row first (RECORD_ATTEMPTS_SQL).
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
 * $1 event ids (those the erased deliveries referred to), $2 user id. Locks the events an erasure may
 * erase: those ids, and every event whose envelope had `ownerId` or `user.id` = the user
 * (IDX_events_owner, IDX_events_user, the latter holding only events whose actor is not their owner:
 * the others are found by owner; the ids by primary key). Events are shared by id between
 * fan-outs (an API's event goes to every subscriber): a fan-out, a recover or an attempt record
 * storing a rendering reads an existing event row under a key-share lock, so locking them here
 * waits out any of those under way (the next statement, with a fresh snapshot, sees what they
 * wrote), and those that come later wait for this transaction and then find the event erased. An
 * event erased before is left alone (its owner and user are null by then). Returns their ids.
 */
export const LOCK_EVENTS_SQL = `
  WITH locked AS (
    SELECT id FROM events
     WHERE (id = ANY($1::text[]) OR owner_id = $2 OR user_id = $2) AND erased_at IS NULL
       FOR UPDATE)
  SELECT COALESCE(array_agg(id), '{}') AS ids FROM locked`;

/**
 * $1 the locked event ids, $2 user id. Erases the user's events (`ownerId` or `user.id`), and the
 * others no delivery refers to any more: the row stays as a tombstone (id, name, created_at,
 * erased_at; the body empty, owner, user and fingerprint null), so that a re-publish of the id
 * delivers nothing (the fan-out answers `erased`); retention removes it like any event. Another
 * owner's deliveries of such an event that are not finished are dropped (an erased body is never
 * sent: `dropped` is final, and since nothing can add one afterwards, the worker's claim does not
 * look at events), and the Slack renderings recorded with their
 * attempts go (by UQ_deliveries_event_webhook, then IDX_delivery_attempts_delivery); their other
 * history stays (a data-modifying CTE runs whether or not it is read). Returns how many events were
 * erased and deliveries dropped.
 */
export const ERASE_EVENTS_SQL = `
  WITH erasable AS (
    SELECT e.id FROM events e
     WHERE e.id = ANY($1::text[])
       AND (e.owner_id = $2 OR e.user_id = $2 OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id))
  ), dropped AS (
    UPDATE deliveries d SET status = 'dropped', locked_until = NULL, updated_at = now()
     WHERE d.event_id IN (SELECT id FROM erasable) AND d.status IN ('pending', 'paused', 'queued')
    RETURNING d.id
  ), renderings AS (
    UPDATE delivery_attempts a SET request_body = NULL
     WHERE a.delivery_id IN (SELECT d.id FROM deliveries d WHERE d.event_id IN (SELECT id FROM erasable))
       AND a.request_body IS NOT NULL
  ), erased AS (
    UPDATE events e SET body = '', fingerprint = NULL, owner_id = NULL, user_id = NULL, erased_at = now()
     WHERE e.id IN (SELECT id FROM erasable)
    RETURNING e.id
  )
  SELECT (SELECT count(*) FROM erased)::int AS events, (SELECT count(*) FROM dropped)::int AS dropped`;

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

/** $1 user id. The user's portal sessions and one-time links (IDX_portal_sessions_user, IDX_portal_links_user). */
export const DELETE_PORTAL_SQL = `
  WITH sessions AS (DELETE FROM portal_sessions WHERE user_id = $1 RETURNING 1),
       links AS (DELETE FROM portal_links WHERE user_id = $1 RETURNING 1)
  SELECT (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM links)::int AS links`;
