/*
 * Ordered delivery's statements that only the worker runs (README → Ordered delivery); what a line is,
 * locking it and waking its next delivery are in @app/database (fifo-line.ts), shared with recover.
 * An UPDATE … RETURNING is wrapped in a CTE: TypeORM's query() answers a bare one with [rows, count].
 */

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
