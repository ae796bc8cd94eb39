import { prepared } from '@app/database';

/*
 * Fan-out of a batch of events in one statement (README → Fan-out). $1 event ids, $2 names, $3 bodies,
 * $4 fingerprints, $5 apiIds (uuid or null), $6 ownerIds, $7 bodies to filter on (null: $3),
 * $8 timestamps, $9 user ids (who acted, where not the owner: FanOutStore actorOtherThanOwner). One
 * row per event:
 * - state: `new` (recorded now), `same` (recorded before with this content: a re-run),
 *   `duplicate` (recorded before with other content: nothing is delivered), `erased` (recorded
 *   before, its body since erased: nothing is delivered, README → API → Erasure), `raced` (another
 *   statement was inserting it at the same moment; run again, it has committed by then);
 * - pending / pendingWebhooks: its deliveries still to send and their webhooks, side by side.
 * A webhook whose circuit is open gets its delivery parked (`paused`) at once: nothing is queued
 * for an endpoint that is down (README → Fair delivery). A fifo webhook's deliveries are `queued` in
 * publish order (timestamp, then fifo_seq in input order) and woken one at a time (README → Ordered
 * delivery); queuedWebhooks names those webhooks, and a re-run never hands a fifo head over early.
 * An event recorded before is read under a key-share lock (only those: a new row is not there to
 * lock): an erasure holds the rows it erases FOR UPDATE, so this waits for it and then reads the row
 * as the erasure left it (`erased`), or the erasure waits for this and then drops the deliveries
 * added; never a delivery added to an event already erased (README → API → Erasure).
 * Rows from before fingerprints existed count as the same event. A re-run finds its deliveries by
 * event id (`status || ''` keeps the planner from mixing in the sweeper's due index).
 * Matching: active, subscribed, and the event's API — or, for webhooks without apiId, its owner;
 * two joins, each on its own partial index (IDX_webhooks_api_active, IDX_webhooks_user_active).
 * Then the payload filters (README → Payload filters): `$7` is the body to match on where it differs
 * from `$3` (text jsonb refuses, see match-body.ts), and a body is parsed to jsonb once, and only when
 * a webhook with a filter matched its event (MATERIALIZED: inlined, the cast could run per match).
 */
export const FAN_OUT_SQL = prepared(
  'fan_out',
  `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                         $8::timestamptz[], $9::text[])
      WITH ORDINALITY AS i(id, name, body, fingerprint, api_id, owner_id, match_body, published_at, user_id, ord)
  ), inserted AS (
    INSERT INTO events (id, name, body, fingerprint, owner_id, user_id)
    SELECT id, name, body, fingerprint, owner_id, user_id FROM input
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ), existing AS (
    SELECT i.id, e.erased_at IS NOT NULL AS erased,
           (e.erased_at IS NULL AND (e.fingerprint IS NULL OR e.fingerprint = i.fingerprint)) AS same
      FROM events e JOIN input i ON i.id = e.id
     WHERE e.id = ANY($1::text[])
       FOR KEY SHARE OF e
  ), accepted AS (
    SELECT i.* FROM input i
     WHERE i.id IN (SELECT id FROM inserted) OR i.id IN (SELECT id FROM existing WHERE same)
  ), matched AS (
    SELECT a.id AS event_id, w.id AS webhook_id, w.paused_until IS NOT NULL AS paused, w.filter,
           w.ordering = 'fifo' AS fifo, a.published_at, a.ord
      FROM accepted a JOIN webhooks w ON w.api_id = a.api_id
     WHERE w.active AND w.api_id IS NOT NULL AND w.events @> ARRAY[a.name] AND w.api_id = ANY($5::uuid[])
    UNION
    SELECT a.id, w.id, w.paused_until IS NOT NULL, w.filter, w.ordering = 'fifo', a.published_at, a.ord
      FROM accepted a JOIN webhooks w ON w.user_id = a.owner_id
     WHERE w.active AND w.api_id IS NULL AND w.events @> ARRAY[a.name] AND w.user_id = ANY($6::text[])
  ), docs AS MATERIALIZED (
    SELECT a.id, COALESCE(a.match_body, a.body)::jsonb AS doc FROM accepted a
     WHERE a.id IN (SELECT event_id FROM matched WHERE filter IS NOT NULL)
  ), created AS (
    INSERT INTO deliveries (event_id, webhook_id, status, published_at, fifo_seq)
    SELECT event_id, webhook_id, CASE WHEN fifo THEN 'queued' WHEN paused THEN 'paused' ELSE 'pending' END,
           CASE WHEN fifo THEN published_at END, CASE WHEN fifo THEN nextval('deliveries_fifo_seq') END
      FROM matched m LEFT JOIN docs d ON d.id = m.event_id
     WHERE m.filter IS NULL OR d.doc @> m.filter
     ORDER BY published_at, ord
    ON CONFLICT ON CONSTRAINT "UQ_deliveries_event_webhook" DO NOTHING
    RETURNING id, event_id, webhook_id, status
  ), pending AS (
    SELECT event_id, array_agg(id::text ORDER BY id) AS ids, array_agg(webhook_id::text ORDER BY id) AS webhooks
      FROM (SELECT id, event_id, webhook_id FROM created WHERE status = 'pending'
            UNION
            SELECT d.id, d.event_id, d.webhook_id FROM deliveries d
             WHERE d.event_id IN (SELECT id FROM existing WHERE same)
               AND d.status || '' = 'pending' AND d.fifo_seq IS NULL) AS all_pending
     GROUP BY event_id
  ), queued AS (
    SELECT event_id, array_agg(webhook_id::text) AS webhooks FROM created WHERE status = 'queued' GROUP BY event_id
  )
  SELECT i.id,
         CASE WHEN n.id IS NOT NULL THEN 'new'
              WHEN x.erased THEN 'erased'
              WHEN x.same THEN 'same'
              WHEN x.same IS NOT NULL THEN 'duplicate'
              ELSE 'raced' END AS state,
         COALESCE(p.ids, '{}'::text[]) AS pending, COALESCE(p.webhooks, '{}'::text[]) AS "pendingWebhooks",
         COALESCE(q.webhooks, '{}'::text[]) AS "queuedWebhooks"
    FROM input i
    LEFT JOIN inserted n ON n.id = i.id
    LEFT JOIN existing x ON x.id = i.id
    LEFT JOIN pending p ON p.event_id = i.id
    LEFT JOIN queued q ON q.event_id = i.id`,
);
