/*
 * Ordered delivery's statements (README → Ordered delivery). A fifo webhook's line is its deliveries
 * with a fifo_seq that are `pending` or `paused` (the head: at most one) or `queued` (waiting), in
 * publish order (published_at, fifo_seq); IDX_deliveries_fifo holds exactly these rows. Every change
 * of the head runs under the webhook row's lock (WEBHOOK_LINE_SQL first, in the same transaction), so
 * two workers never wake two heads. An UPDATE … RETURNING is wrapped in a CTE: TypeORM's query()
 * answers a bare one with [rows, count].
 */

/** $1 webhook id. Locks the webhook row for the rest of the transaction. */
export const WEBHOOK_LINE_SQL = `
  SELECT ordering, active, paused_until IS NOT NULL AS paused FROM webhooks WHERE id = $1 FOR NO KEY UPDATE`;

/**
 * $1 webhook id, $2 whether its circuit is open, $3 the settle time in ms. Wakes the first queued
 * delivery when the line has no head, or when the head has not started (never claimed, no attempt)
 * and an event published before it has been queued meanwhile: that head goes back in line. A woken
 * delivery is due no earlier than `settle` after it was recorded, so that events published at the
 * same moment and fanned out by another worker line up first. Returns the woken delivery.
 */
export const WAKE_NEXT_SQL = `
  WITH head AS (
    SELECT id, status, published_at, fifo_seq FROM deliveries
     WHERE webhook_id = $1 AND fifo_seq IS NOT NULL AND status IN ('pending', 'paused')
     ORDER BY published_at, fifo_seq LIMIT 2
  ), next AS (
    SELECT id, published_at, fifo_seq FROM deliveries
     WHERE webhook_id = $1 AND fifo_seq IS NOT NULL AND status = 'queued'
     ORDER BY published_at, fifo_seq LIMIT 1
  ), demoted AS (
    UPDATE deliveries d SET status = 'queued', updated_at = now()
      FROM head h, next n
     WHERE d.id = h.id AND (SELECT count(*) FROM head) = 1
       AND d.status = 'pending' AND d.attempts = 0 AND d.locked_until IS NULL
       AND (n.published_at, n.fifo_seq) < (h.published_at, h.fifo_seq)
    RETURNING d.id
  ), woken AS (
    UPDATE deliveries d
       SET status = CASE WHEN $2::boolean THEN 'paused' ELSE 'pending' END,
           next_attempt_at = GREATEST(d.next_attempt_at, d.created_at + $3 * interval '1 millisecond'),
           updated_at = now()
      FROM next n
     WHERE d.id = n.id AND d.status = 'queued'
       AND (NOT EXISTS (SELECT 1 FROM head) OR EXISTS (SELECT 1 FROM demoted))
    RETURNING d.id, d.status, d.next_attempt_at AS "nextAttemptAt"
  )
  SELECT * FROM woken`;

/**
 * $1 webhook id, $2 whether its circuit is open. The webhook is no longer fifo: its whole line goes
 * back to the normal path at once (parked while the circuit is open).
 */
export const RELEASE_LINE_SQL = `
  WITH released AS (
    UPDATE deliveries SET status = CASE WHEN $2::boolean THEN 'paused' ELSE 'pending' END, updated_at = now()
     WHERE webhook_id = $1 AND fifo_seq IS NOT NULL AND status = 'queued'
    RETURNING id, status, next_attempt_at AS "nextAttemptAt")
  SELECT * FROM released`;

/** $1 webhook id. The webhook was switched off or deactivated: its line is dropped like any backlog. */
export const DROP_LINE_SQL = `
  UPDATE deliveries SET status = 'dropped', locked_until = NULL, updated_at = now()
   WHERE webhook_id = $1 AND fifo_seq IS NOT NULL AND status = 'queued'`;

/**
 * $1 how many. Webhooks whose line waits with nobody to wake it: no head (a worker died between
 * ending one and waking the next), or no longer fifo and active. Distinct webhook ids are read from
 * IDX_deliveries_fifo by skipping from one to the next (a loose index scan): one probe per webhook
 * with a line, not one per queued delivery.
 */
export const STALLED_LINES_SQL = `
  WITH RECURSIVE line AS (
    (SELECT webhook_id FROM deliveries
      WHERE fifo_seq IS NOT NULL AND status = 'queued' ORDER BY webhook_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.webhook_id FROM deliveries d
             WHERE d.fifo_seq IS NOT NULL AND d.status = 'queued' AND d.webhook_id > l.webhook_id
             ORDER BY d.webhook_id LIMIT 1)
      FROM line l WHERE l.webhook_id IS NOT NULL
  )
  SELECT w.id FROM line l JOIN webhooks w ON w.id = l.webhook_id
   WHERE NOT (w.active AND w.ordering = 'fifo')
      OR NOT EXISTS (SELECT 1 FROM deliveries h
                      WHERE h.webhook_id = w.id AND h.fifo_seq IS NOT NULL AND h.status IN ('pending', 'paused'))
   LIMIT $1`;
