/*
 * The endpoint circuit's statements (README → Fair delivery). They persist what the lifecycle
 * decided; each is conditional on the state the decision saw, so concurrent workers change a
 * circuit once. An UPDATE … RETURNING is wrapped in a CTE: TypeORM's query() answers a bare one
 * with [rows, count].
 */

/**
 * $1 webhook id, $2 paused until, $3 pause count, $4 the probe that failed (null: the circuit was
 * closed). Returns the webhook when this call opened or reopened it.
 */
export const OPEN_CIRCUIT_SQL = `
  WITH opened AS (
  UPDATE webhooks SET paused_until = $2, pause_count = $3, probe_delivery_id = NULL, probe_started_at = NULL
   WHERE id = $1 AND active
     AND (($4::uuid IS NULL AND paused_until IS NULL) OR probe_delivery_id = $4::uuid)
  RETURNING id)
  SELECT id FROM opened`;

/** $1 webhook id. Returns the webhook when this call closed its circuit. */
export const CLOSE_CIRCUIT_SQL = `
  WITH closed AS (
  UPDATE webhooks SET paused_until = NULL, pause_count = 0, probe_delivery_id = NULL, probe_started_at = NULL
   WHERE id = $1 AND paused_until IS NOT NULL
  RETURNING id)
  SELECT id FROM closed`;

/**
 * $1 webhook id, $2 how many. Parked deliveries back to pending, oldest due first; each goes back
 * on the queue at its own due time (a retry parked early keeps its schedule).
 */
export const RELEASE_PARKED_SQL = `
  WITH next AS (
    SELECT id FROM deliveries WHERE webhook_id = $1 AND status = 'paused'
     ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
  ), released AS (
  UPDATE deliveries d SET status = 'pending', updated_at = now()
    FROM next WHERE d.id = next.id
  RETURNING d.id, d.next_attempt_at AS "nextAttemptAt")
  SELECT * FROM released`;

/**
 * $1 how many, $2 probe lease in ms. Paused webhooks whose cool-down has ended and that have no
 * probe under way (none chosen, or its lease is over: lost with its worker), longest waiting first.
 */
export const COOLED_DOWN_SQL = `
  SELECT id, active FROM webhooks
   WHERE paused_until <= now()
     AND (probe_started_at IS NULL OR probe_started_at <= now() - $2 * interval '1 millisecond')
   ORDER BY paused_until LIMIT $1`;

/**
 * $1 webhook id, $2 probe lease in ms. Half-opens a cooled-down circuit: its oldest parked delivery
 * becomes the probe (pending, due now); probe_started_at keeps another from being chosen while it
 * runs. With nothing parked the circuit closes (its pause count back to 0): the next deliveries are
 * attempted, and `DELIVERY_CIRCUIT_THRESHOLD` failures in a row would open it again.
 * Returns the probe's id, or null when the circuit closed.
 */
export const CHOOSE_PROBE_SQL = `
  WITH probe AS (
    SELECT id FROM deliveries WHERE webhook_id = $1 AND status = 'paused'
     ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
  ), released AS (
    UPDATE deliveries d SET status = 'pending', next_attempt_at = LEAST(d.next_attempt_at, now()), updated_at = now()
      FROM probe WHERE d.id = probe.id
    RETURNING d.id
  ), half_open AS (
  UPDATE webhooks w
     SET probe_delivery_id = (SELECT id FROM released),
         probe_started_at = CASE WHEN EXISTS (SELECT 1 FROM released) THEN now() END,
         paused_until = CASE WHEN EXISTS (SELECT 1 FROM released) THEN w.paused_until END,
         pause_count = CASE WHEN EXISTS (SELECT 1 FROM released) THEN w.pause_count ELSE 0 END
   WHERE w.id = $1 AND w.paused_until <= now()
     AND (w.probe_started_at IS NULL OR w.probe_started_at <= now() - $2 * interval '1 millisecond')
  RETURNING w.probe_delivery_id AS "probeDeliveryId")
  SELECT * FROM half_open`;

/**
 * Webhooks with parked deliveries but a closed circuit: a delivery parked (at fan-out or claim) by a
 * statement that saw the circuit open while another was closing it. Distinct webhook ids are read
 * from IDX_deliveries_paused by skipping from one to the next (a loose index scan), so the cost is
 * one probe per such webhook, not one per parked delivery.
 */
export const STRANDED_SQL = `
  WITH RECURSIVE parked AS (
    (SELECT webhook_id FROM deliveries WHERE status = 'paused' ORDER BY webhook_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.webhook_id FROM deliveries d
             WHERE d.status = 'paused' AND d.webhook_id > p.webhook_id ORDER BY d.webhook_id LIMIT 1)
      FROM parked p WHERE p.webhook_id IS NOT NULL
  )
  SELECT w.id, w.active FROM parked p JOIN webhooks w ON w.id = p.webhook_id
   WHERE w.paused_until IS NULL`;

/** $1 webhook id. A webhook switched off while paused: its parked deliveries are dropped. */
export const DROP_PARKED_SQL = `
  WITH dropped AS (
    UPDATE deliveries SET status = 'dropped', updated_at = now()
     WHERE webhook_id = $1 AND status = 'paused'
  )
  UPDATE webhooks SET paused_until = NULL, pause_count = 0, probe_delivery_id = NULL, probe_started_at = NULL
   WHERE id = $1`;

/** $1 webhook id, $2 slow since (null: healthy). Written only when it changes. */
export const SET_SLOW_SQL = `
  UPDATE webhooks SET slow_since = $2
   WHERE id = $1 AND (slow_since IS NULL) <> ($2::timestamptz IS NULL)`;
