import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope, EventPublisher, EventUser } from '@app/events';
import { webhookLifecycleEnvelope, WebhookEventSource, WebhookLifecycleEvent } from './webhook-events';

/** Writes a lifecycle event into the outbox inside the caller's transaction. */
export async function recordWebhookEvent(
  manager: EntityManager,
  name: WebhookLifecycleEvent,
  webhook: WebhookEventSource,
  actor: EventUser,
): Promise<void> {
  const id = randomUUID();
  await manager.query('INSERT INTO event_outbox (id, envelope) VALUES ($1, $2)', [
    id,
    JSON.stringify(webhookLifecycleEnvelope(name, webhook, actor, id)),
  ]);
}

const RELAY_BATCH = 100;

/**
 * Moves committed outbox rows to the queue. Rows are locked with SKIP LOCKED so several relays
 * (API instances, workers) share the work; a row is deleted only after its job was added, and the
 * row id is the job id, so a crash between the two re-relays a duplicate that BullMQ drops.
 * Returns how many events were relayed; throws when the queue is unreachable (rows stay).
 */
export async function relayOutbox(dataSource: DataSource, publisher: EventPublisher): Promise<number> {
  let relayed = 0;
  for (;;) {
    const count = await dataSource.transaction(async (manager) => {
      // The outbox only ever holds envelopes written by recordWebhookEvent; publishBulk validates them again.
      const rows: Array<{ id: string; envelope: EventEnvelope }> = await manager.query(
        `SELECT id, envelope FROM event_outbox ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [RELAY_BATCH],
      );
      await publisher.publishBulk(rows.map((row) => ({ ...row.envelope, id: row.id })));
      if (rows.length > 0) {
        await manager.query(`DELETE FROM event_outbox WHERE id = ANY($1::uuid[])`, [
          rows.map((row) => row.id),
        ]);
      }
      return rows.length;
    });
    relayed += count;
    if (count < RELAY_BATCH) return relayed;
  }
}
