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
   * After every attempt, in one transaction and one statement on the common path: the attempt row,
   * the delivery's new state, the webhook's lastDelivery and failure streak, and whether this
   * attempt switches the webhook off (410, or failing longer than `disableAfterMs`). Only then a
   * second statement drops its other deliveries and writes webhook.disabled to the outbox.
   * Returns true when the webhook was disabled now; nothing is recorded when the delivery is gone
   * (its webhook was deleted meanwhile).
   */
  async recordAttempt(
    context: DeliveryContext,
    record: AttemptRecord,
    outcome: AttemptOutcome,
    disableAfterMs: number,
  ): Promise<boolean> {
    const lastDelivery: LastDelivery = {
      success: record.success,
      statusCode: record.statusCode,
      response: record.error ?? record.response,
      timestamp: new Date().toISOString(),
    };
    return this.dataSource.transaction(async (manager) => {
      const [result] = await manager.query<Array<DisableResult | { id: null }>>(RECORD_ATTEMPT_SQL, [
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
        outcome.status ?? null,
        outcome.nextAttemptAt ?? null,
        outcome.gone,
        disableAfterMs,
        JSON.stringify(lastDelivery),
      ]);
      if (!result || result.id === null || !('reason' in result) || result.reason === null) return false;
      // A disabled webhook receives nothing more: this delivery has failed, the others are dropped.
      await manager.query(
        `UPDATE deliveries SET status = CASE WHEN id = $2 THEN 'failed' ELSE 'dropped' END, updated_at = now()
          WHERE webhook_id = $1 AND (status = 'pending' OR id = $2)`,
        [context.webhookId, context.deliveryId],
      );
      const { reason: _reason, ...webhook } = result;
      await recordWebhookEvent(manager, 'webhook.disabled', webhook as unknown as WebhookEntity, SYSTEM_USER);
      return true;
    });
  }
}

type DisableResult = Pick<
  WebhookEntity,
  | 'id'
  | 'ownerId'
  | 'ownerNickname'
  | 'userId'
  | 'apiId'
  | 'url'
  | 'events'
  | 'active'
  | 'custom'
  | 'disabledReason'
  | 'lastDelivery'
  | 'createdAt'
  | 'updatedAt'
> & { reason: 'gone' | 'failing' | null };

/*
 * $1 attempt id, $2 delivery id, $3 webhook id, $4 event id, $5 event name, $6 attempt number,
 * $7 success, $8 status code, $9 response, $10 error, $11 duration, $12 new delivery status,
 * $13 next attempt at, $14 gone (410), $15 disable-after ms, $16 lastDelivery JSON.
 * The webhook row is locked before deciding, so concurrent attempts decide on its latest state and
 * only one of them disables it. NO KEY UPDATE: foreign-key checks take KEY SHARE on it, which
 * plain FOR UPDATE would conflict with (a deadlock between two attempts to one webhook).
 */
const RECORD_ATTEMPT_SQL = `
  WITH delivery AS (
    UPDATE deliveries
       SET attempts = GREATEST(attempts, $6), status = COALESCE($12, status),
           next_attempt_at = COALESCE($13, next_attempt_at), locked_until = NULL, updated_at = now()
     WHERE id = $2
     RETURNING id
  ), attempt AS (
    INSERT INTO delivery_attempts
      (id, delivery_id, webhook_id, event_id, event_name, attempt, success, status_code, response, error, duration_ms)
    SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM delivery
  ), previous AS (
    SELECT id, active, failing_since FROM webhooks
     WHERE id = $3 AND EXISTS (SELECT 1 FROM delivery)
     FOR NO KEY UPDATE
  ), decided AS (
    SELECT id,
           CASE WHEN $7 THEN NULL ELSE COALESCE(failing_since, now()) END AS failing_since,
           CASE WHEN NOT active THEN NULL
                WHEN $14 THEN 'gone'
                WHEN NOT $7 AND COALESCE(failing_since, now()) <= now() - $15 * interval '1 millisecond' THEN 'failing'
           END AS reason
      FROM previous
  ), updated AS (
    UPDATE webhooks w
       SET last_delivery = $16, failing_since = decided.failing_since,
           active = CASE WHEN decided.reason IS NULL THEN w.active ELSE false END,
           disabled_reason = COALESCE(decided.reason, w.disabled_reason)
      FROM decided
     WHERE w.id = decided.id
     RETURNING decided.reason, w.id, w.owner_id AS "ownerId", w.owner_nickname AS "ownerNickname",
               w.user_id AS "userId", w.api_id AS "apiId", w.url, w.events, w.active, w.custom,
               w.disabled_reason AS "disabledReason", w.last_delivery AS "lastDelivery",
               w.created_at AS "createdAt", w.updated_at AS "updatedAt"
  )
  SELECT updated.* FROM (SELECT 1) AS one LEFT JOIN updated ON true`;
