import type { EntityManager } from 'typeorm';
import type { WebhookOrdering } from './entities/webhook.entity';

/*
 * A fifo webhook's line (README → Ordered delivery), the statements the worker's gate and the API's
 * recover share. The line is the webhook's deliveries with a fifo_seq that are `pending` or `paused`
 * (the head: at most one) or `queued` (waiting), in publish order (published_at, fifo_seq);
 * IDX_deliveries_fifo holds exactly these rows. Every change of the head runs under the webhook
 * row's lock (WEBHOOK_LINE_SQL first, in the same transaction), so two processes never wake two
 * heads. An UPDATE … RETURNING is wrapped in a CTE: TypeORM's query() answers a bare one with
 * [rows, count].
 */

/**
 * How long a fifo delivery woken on an idle line waits after its fan-out, so that events published in
 * the same instant and fanned out by another worker take their places in line before it goes.
 * A line with a backlog does not wait: its next one was recorded long ago.
 */
export const FIFO_SETTLE_MS = 1_000;

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

/** The webhook as its line sees it, locked by lockLine. */
export interface FifoLineState {
  ordering: WebhookOrdering;
  active: boolean;
  paused: boolean;
}

/** A delivery wakeNext made the head: `pending` (to be sent) or `paused` (its circuit is open). */
export interface WokenDelivery {
  id: string;
  status: 'pending' | 'paused';
  nextAttemptAt: Date;
}

/** Locks the webhook's row for the rest of the caller's transaction; undefined when it is gone. */
export async function lockLine(
  manager: Pick<EntityManager, 'query'>,
  webhookId: string,
): Promise<FifoLineState | undefined> {
  const [webhook] = await manager.query<FifoLineState[]>(WEBHOOK_LINE_SQL, [webhookId]);
  return webhook;
}

/** Wakes the line's next delivery if it may go now (WAKE_NEXT_SQL); call after lockLine. */
export function wakeNext(
  manager: Pick<EntityManager, 'query'>,
  webhookId: string,
  paused: boolean,
): Promise<WokenDelivery[]> {
  return manager.query<WokenDelivery[]>(WAKE_NEXT_SQL, [webhookId, paused, FIFO_SETTLE_MS]);
}
