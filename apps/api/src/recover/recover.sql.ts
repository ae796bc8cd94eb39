/**
 * $1 webhook id, $2 since, $3 until, $4 how many at most: the webhook's deliveries that ended failed
 * within [since, until) (`updated_at`: when the last attempt ended) and whose event was not erased
 * (README → API → Erasure: an erased one is never sent again), oldest first, locked; a delivery row
 * another transaction holds is skipped (a concurrent recover takes it). The event row is joined by
 * primary key and key-share locked: an erasure holds the rows it erases FOR UPDATE, so a recover
 * either waits for it and then sees the event erased (and skips the delivery), or makes it wait, and
 * the erasure then drops the deliveries this made pending; never a pending delivery of an erased event.
 */
function pickFailed(columns: readonly string[]): string {
  return `
    SELECT ${columns.map((column) => `deliveries.${column}`).join(', ')} FROM deliveries
      JOIN events e ON e.id = deliveries.event_id AND e.erased_at IS NULL
     WHERE deliveries.webhook_id = $1 AND deliveries.status = 'failed'
       AND deliveries.updated_at >= $2::timestamptz AND deliveries.updated_at < $3::timestamptz
     ORDER BY deliveries.updated_at, deliveries.id LIMIT $4::int
       FOR UPDATE OF deliveries SKIP LOCKED FOR KEY SHARE OF e`;
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
  WITH picked AS (${pickFailed(['id', 'updated_at'])}), numbered AS (
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
  WITH picked AS (${pickFailed(['id', 'event_id', 'created_at', 'published_at', 'fifo_seq'])}), placed AS (
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
