import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DeliveryStatus, LastDelivery, WebhookEntity } from '@app/database';
import { recordWebhookEvent, SYSTEM_USER } from '@app/events';

/** What one attempt needs, loaded in one round trip. */
export interface DeliveryContext {
  deliveryId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  eventId: string;
  eventName: string;
  body: string;
  webhookId: string;
  url: string;
  active: boolean;
  secrets: string[];
}

export interface AttemptRecord {
  attemptId: string;
  attempt: number;
  success: boolean;
  statusCode: number | null;
  response: string;
  error: string | null;
  durationMs: number;
}

export interface AttemptOutcome {
  /** New delivery state; undefined leaves it as it is (a manual redelivery that failed). */
  status?: DeliveryStatus;
  nextAttemptAt?: Date;
  /** The receiver answered 410 Gone. */
  gone: boolean;
}

const CONTEXT_COLUMNS = `
  d.id AS "deliveryId", d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt", d.locked_until AS "lockedUntil",
  e.id AS "eventId", e.name AS "eventName", e.body,
  w.id AS "webhookId", w.url, w.active,
  ARRAY_REMOVE(ARRAY[w.secret, CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END], NULL) AS secrets`;

@Injectable()
export class DeliveryStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims a due, pending delivery for one attempt (a killed worker's claim expires after
   * `claimMs`). Returns undefined when there is nothing to do now; `find` tells why.
   */
  async claim(deliveryId: string, claimMs: number): Promise<DeliveryContext | undefined> {
    const rows: DeliveryContext[] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE deliveries SET locked_until = now() + $2 * interval '1 millisecond'
          WHERE id = $1 AND status = 'pending' AND next_attempt_at <= now() + interval '1 second'
            AND (locked_until IS NULL OR locked_until < now())
          RETURNING *)
       SELECT ${CONTEXT_COLUMNS}
         FROM claimed d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id`,
      [deliveryId, claimMs],
    );
    return rows[0];
  }

  async find(deliveryId: string): Promise<DeliveryContext | undefined> {
    const rows: DeliveryContext[] = await this.dataSource.query(
      `SELECT ${CONTEXT_COLUMNS}
         FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.id = $1`,
      [deliveryId],
    );
    return rows[0];
  }

  async drop(deliveryId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'dropped', locked_until = NULL, updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [deliveryId],
    );
  }

  /**
   * After every attempt, in one transaction: the attempt row, the delivery's new state, the
   * webhook's lastDelivery and failure streak, and — when this attempt switches it off (410, or
   * failing longer than `disableAfterMs`) — the disable and its webhook.disabled event.
   * Returns true when the webhook was disabled now.
   */
  async recordAttempt(
    context: DeliveryContext,
    record: AttemptRecord,
    outcome: AttemptOutcome,
    disableAfterMs: number,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // Lock the delivery first: if its webhook was deleted meanwhile, the delivery went with it.
      const [, found] = await manager.query<[unknown, number]>(
        `UPDATE deliveries SET locked_until = locked_until WHERE id = $1`,
        [context.deliveryId],
      );
      if (found === 0) return false;
      await manager.query(
        `INSERT INTO delivery_attempts
           (id, delivery_id, webhook_id, event_id, event_name, attempt, success, status_code, response, error, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          record.attemptId,
          context.deliveryId,
          context.webhookId,
          context.eventId,
          context.eventName,
          record.attempt,
          record.success,
          record.statusCode,
          record.response,
          record.error,
          record.durationMs,
        ],
      );
      await manager.query(
        `UPDATE deliveries
            SET attempts = GREATEST(attempts, $2), status = COALESCE($3, status),
                next_attempt_at = COALESCE($4, next_attempt_at), locked_until = NULL, updated_at = now()
          WHERE id = $1`,
        [context.deliveryId, record.attempt, outcome.status ?? null, outcome.nextAttemptAt ?? null],
      );
      const [webhook]: Array<{ active: boolean; failing_since: Date | null }> = await manager.query(
        `SELECT active, failing_since FROM webhooks WHERE id = $1 FOR UPDATE`,
        [context.webhookId],
      );
      if (!webhook) return false;
      const now = new Date();
      const failingSince = record.success ? null : (webhook.failing_since ?? now);
      const reason = !webhook.active
        ? null
        : outcome.gone
          ? 'gone'
          : failingSince && now.getTime() - failingSince.getTime() >= disableAfterMs
            ? 'failing'
            : null;
      const lastDelivery: LastDelivery = {
        success: record.success,
        statusCode: record.statusCode,
        response: record.error ?? record.response,
        timestamp: now.toISOString(),
      };
      // TypeORM returns [rows, affected] for UPDATE … RETURNING.
      const [updated] = await manager.query<[WebhookEntity[], number]>(
        `UPDATE webhooks
            SET last_delivery = $2, failing_since = $3,
                active = CASE WHEN $4::text IS NULL THEN active ELSE false END,
                disabled_reason = COALESCE($4::text, disabled_reason)
          WHERE id = $1
          RETURNING id, owner_id AS "ownerId", owner_nickname AS "ownerNickname", user_id AS "userId",
                    api_id AS "apiId", url, events, active, custom, disabled_reason AS "disabledReason",
                    last_delivery AS "lastDelivery", created_at AS "createdAt", updated_at AS "updatedAt"`,
        [context.webhookId, JSON.stringify(lastDelivery), failingSince, reason],
      );
      if (reason === null) return false;
      // A disabled webhook receives nothing more: this delivery has failed, the others are dropped.
      await manager.query(
        `UPDATE deliveries SET status = CASE WHEN id = $2 THEN 'failed' ELSE 'dropped' END, updated_at = now()
          WHERE webhook_id = $1 AND (status = 'pending' OR id = $2)`,
        [context.webhookId, context.deliveryId],
      );
      await recordWebhookEvent(manager, 'webhook.disabled', updated[0], SYSTEM_USER);
      return true;
    });
  }
}
