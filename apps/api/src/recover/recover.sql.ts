/**
 * $1 webhook id, $2 since, $3 until, $4 how many at most, $5 how many become due per second.
 * The webhook's deliveries that ended failed within [since, until) (`updated_at`: when the last
 * attempt ended), oldest first, pending again: due in waves of $5 a second, so a large recovery
 * enters the shared queue at that pace, and the sweeper (which only looks at due rows) restores
 * lost jobs at the same pace. A row another transaction holds is skipped: a concurrent recover of
 * the same window takes it, never both. Their attempt counters stay: the new attempts are numbered
 * after the old ones in the log, and the retry schedule goes on from where it ended.
 * IDX_deliveries_failed is the index this reads.
 */
export const RECOVER_SQL = `
  WITH picked AS (
    SELECT id, updated_at FROM deliveries
     WHERE webhook_id = $1 AND status = 'failed'
       AND updated_at >= $2::timestamptz AND updated_at < $3::timestamptz
     ORDER BY updated_at, id LIMIT $4::int
       FOR UPDATE SKIP LOCKED
  ), numbered AS (
    SELECT id, (row_number() OVER (ORDER BY updated_at, id) - 1) / $5::int AS wave FROM picked
  ), recovered AS (
    UPDATE deliveries d
       SET status = 'pending', locked_until = NULL, updated_at = now(),
           next_attempt_at = now() + n.wave * interval '1 second'
      FROM numbered n
     WHERE d.id = n.id
    RETURNING d.id, d.next_attempt_at AS "nextAttemptAt")
  SELECT * FROM recovered`;
