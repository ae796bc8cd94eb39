import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { EventEnvelope } from '@app/events';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fan-out's SQL: the event row, one delivery row per matching webhook, all before any enqueue. */
@Injectable()
export class FanOutStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records the event and its deliveries; returns the ids of this event's deliveries still pending
   * (all of them on a first run; on a re-run, those not yet done).
   */
  async recordDeliveries(eventId: string, envelope: EventEnvelope, body: string): Promise<string[]> {
    // An apiId that is not a UUID cannot match any webhook (the column is uuid).
    const apiId = envelope.apiId && UUID.test(envelope.apiId) ? envelope.apiId : null;
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO events (id, name, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
        [eventId, envelope.name, body],
      );
      // SPEC §8: active, subscribed, and the event's API — or, without apiId, the event's owner.
      await manager.query(
        `INSERT INTO deliveries (event_id, webhook_id)
         SELECT $1, w.id FROM webhooks w
          WHERE w.active
            AND w.events @> ARRAY[$2]::text[]
            AND ((w.api_id = $3::uuid) OR (w.api_id IS NULL AND w.user_id = $4))
         ON CONFLICT ON CONSTRAINT "UQ_deliveries_event_webhook" DO NOTHING`,
        [eventId, envelope.name, apiId, envelope.ownerId ?? null],
      );
      const rows: Array<{ id: string }> = await manager.query(
        `SELECT id FROM deliveries WHERE event_id = $1 AND status = 'pending'`,
        [eventId],
      );
      return rows.map((row) => row.id);
    });
  }
}
