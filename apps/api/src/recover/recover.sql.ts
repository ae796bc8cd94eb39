/** The delivery's event was not erased (README → API → Erasure): an erased one is never sent again. */
const NOT_ERASED = `NOT EXISTS (SELECT 1 FROM events x WHERE x.id = deliveries.event_id AND x.erased_at IS NOT NULL)`;

/**
 * $1 webhook id, $2 since, $3 until, $4 how many at most: the webhook's deliveries that ended failed
 * within [since, until) (`updated_at`: when the last attempt ended) and whose event was not erased,
 * oldest first, locked; a row another transaction holds is skipped (a concurrent recover takes it).
 */
function pickFailed(columns: string): string {
  return `
    SELECT ${columns} FROM deliveries
     WHERE webhook_id = $1 AND status = 'failed'
       AND updated_at >= $2::timestamptz AND updated_at < $3::timestamptz
       AND ${NOT_ERASED}
     ORDER BY updated_at, id LIMIT $4::int
       FOR UPDATE SKIP LOCKED`;
}

/**
 * $1 webhook id, $2 since, $3 until, $4 how many at most, $5 how many become due per second.
 * The picked deliveries (pickFailed) pending again: due in waves of $5 a second, so a large recovery
 * enters the shared queue at that pace, and the sweeper (which only looks at due rows) restores
 * lost jobs at the same pace. Their attempt counters stay: the new attempts are numbered
 * after the old ones in the log, and the retry schedule goes on from where it ended. For a webhook
 * without ordering (a fifo webhook's: RECOVER_TO_LINE_SQL); run under the webhook row's lock.
 * IDX_deliveries_failed is the index this reads.
 */
export const RECOVER_SQL = `
  WITH picked AS (${pickFailed('id, updated_at')}), numbered AS (
    SELECT id, (row_number() OVER (ORDER BY updated_at, id) - 1) / $5::int AS wave FROM picked
  ), recovered AS (
    UPDATE deliveries d
       SET status = 'pending', locked_until = NULL, updated_at = now(),
           next_attempt_at = now() + n.wave * interval '1 second'
      FROM numbered n
     WHERE d.id = n.id
    RETURNING d.id, d.next_attempt_at AS "nextAttemptAt")
  SELECT * FROM recovered`;

/**
 * The event's timestamp, read from its stored body (the fixed key order of the delivered Event: id,
 * name, timestamp first) without parsing it as jsonb, which refuses some bodies (README → Payload
 * filters); null when it is not there (a body of another shape).
 */
const EVENT_TIMESTAMP = String.raw`substring(e.body from '^\{"id":"(?:[^"\\]|\\.)*","name":"[^"]*","timestamp":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z)"')::timestamptz`;

/**
 * $1 webhook id, $2 since, $3 until, $4 how many at most. RECOVER_SQL for a fifo webhook (README →
 * Ordered delivery): the failed deliveries of the window rejoin the webhook's line as
 * `queued`, in publish order, for WAKE_NEXT_SQL to wake one at a time; none becomes pending here, so
 * the line never has two heads. A delivery keeps its place (published_at, fifo_seq); one without
 * (recorded before the webhook became fifo) gets one: the event's timestamp (else when the delivery
 * was recorded) and a fifo_seq drawn in that order. Run under the webhook row's lock (lockLine), like
 * every change of a line. IDX_deliveries_failed is the index this reads; events by primary key.
 */
export const RECOVER_TO_LINE_SQL = `
  WITH picked AS (${pickFailed('id, event_id, created_at, published_at, fifo_seq')}), placed AS (
    SELECT p.id, p.created_at, p.fifo_seq,
           COALESCE(p.published_at, (SELECT ${EVENT_TIMESTAMP} FROM events e WHERE e.id = p.event_id),
                    p.created_at) AS published_at
      FROM picked p
  ), numbered AS (
    SELECT id, published_at, COALESCE(fifo_seq, nextval('deliveries_fifo_seq')) AS fifo_seq
      FROM (SELECT * FROM placed ORDER BY published_at, created_at, id) o
  ), recovered AS (
    UPDATE deliveries d
       SET status = 'queued', locked_until = NULL, updated_at = now(), next_attempt_at = now(),
           published_at = n.published_at, fifo_seq = n.fifo_seq
      FROM numbered n
     WHERE d.id = n.id
    RETURNING d.id)
  SELECT count(*)::int AS n FROM recovered`;
