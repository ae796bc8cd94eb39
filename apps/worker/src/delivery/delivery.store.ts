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
   * After every attempt: the attempt row and the delivery's new state, and the webhook's failure
   * streak. A success is one statement that touches the webhook row only when it ends a streak,
   * so a busy webhook's deliveries never queue on its row lock. A failure also decides, on the
   * locked row, whether this attempt switches the webhook off (410, or failing longer than
   * `disableAfterMs`); then its other deliveries are dropped and webhook.disabled goes to the
   * outbox, in the same transaction. Returns true when the webhook was disabled now; nothing is
   * recorded when the delivery is gone (its webhook was deleted meanwhile).
   */
  async recordAttempt(
    context: DeliveryContext,
    record: AttemptRecord,
    outcome: AttemptOutcome,
    disableAfterMs: number,
  ): Promise<boolean> {
    const params = [
      record.attemptId,
      context.deliveryId,
      context.webhookId,
      context.eventId,
      context.eventName,
      record.attempt,
      record.statusCode,
      record.response,
      record.error,
      record.durationMs,
      outcome.status ?? null,
      outcome.nextAttemptAt ?? null,
    ];
    if (record.success) {
      await this.dataSource.query(RECORD_SUCCESS_SQL, params);
      return false;
    }
    return this.dataSource.transaction(async (manager) => {
      const [result] = await manager.query<Array<DisableResult | { id: null }>>(RECORD_FAILURE_SQL, [
        ...params,
        outcome.gone,
        disableAfterMs,
      ]);
      if (!result || result.id === null || !('reason' in result) || result.reason === null) return false;
      // A disabled webhook receives nothing more: this delivery has failed, the others are dropped.
      await manager.query(
        `UPDATE deliveries SET status = CASE WHEN id = $2 THEN 'failed' ELSE 'dropped' END, updated_at = now()
          WHERE webhook_id = $1 AND (status = 'pending' OR id = $2)`,
        [context.webhookId, context.deliveryId],
      );
      const { reason: _reason, ...webhook } = result;
      const lastDelivery: LastDelivery = {
        success: false,
        statusCode: record.statusCode,
        response: record.error ?? record.response,
        timestamp: new Date().toISOString(),
      };
      await recordWebhookEvent(
        manager,
        'webhook.disabled',
        { ...webhook, lastDelivery } as unknown as WebhookEntity,
        SYSTEM_USER,
      );
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
  | 'createdAt'
  | 'updatedAt'
> & { reason: 'gone' | 'failing' | null };

/*
 * Shared parameters: $1 attempt id, $2 delivery id, $3 webhook id, $4 event id, $5 event name,
 * $6 attempt number, $7 status code, $8 response, $9 error, $10 duration, $11 new delivery status,
 * $12 next attempt at. Failure only: $13 gone (410), $14 disable-after ms.
 */
const RECORD_DELIVERY_CTES = (success: boolean) => `
  delivery AS (
    UPDATE deliveries
       SET attempts = GREATEST(attempts, $6), status = COALESCE($11, status),
           next_attempt_at = COALESCE($12, next_attempt_at), locked_until = NULL, updated_at = now()
     WHERE id = $2
     RETURNING id
  ), attempt AS (
    INSERT INTO delivery_attempts
      (id, delivery_id, webhook_id, event_id, event_name, attempt, success, status_code, response, error, duration_ms)
    SELECT $1, id, $3, $4, $5, $6, ${success}, $7, $8, $9, $10 FROM delivery
  )`;

const RECORD_SUCCESS_SQL = `
  WITH ${RECORD_DELIVERY_CTES(true)}, streak_ended AS (
    UPDATE webhooks SET failing_since = NULL
     WHERE id = $3 AND failing_since IS NOT NULL AND EXISTS (SELECT 1 FROM delivery)
  )
  SELECT count(*)::int AS found FROM delivery`;

/*
 * The webhook row is locked before deciding, so concurrent failures decide on its latest state and
 * only one of them disables it. NO KEY UPDATE: foreign-key checks take KEY SHARE on it, which plain
 * FOR UPDATE would conflict with (a deadlock between two attempts to one webhook).
 */
const RECORD_FAILURE_SQL = `
  WITH ${RECORD_DELIVERY_CTES(false)}, previous AS (
    SELECT id, active, failing_since FROM webhooks
     WHERE id = $3 AND EXISTS (SELECT 1 FROM delivery)
     FOR NO KEY UPDATE
  ), decided AS (
    SELECT id, COALESCE(failing_since, now()) AS failing_since,
           CASE WHEN NOT active THEN NULL
                WHEN $13 THEN 'gone'
                WHEN COALESCE(failing_since, now()) <= now() - $14 * interval '1 millisecond' THEN 'failing'
           END AS reason
      FROM previous
  ), updated AS (
    UPDATE webhooks w
       SET failing_since = decided.failing_since,
           active = CASE WHEN decided.reason IS NULL THEN w.active ELSE false END,
           disabled_reason = COALESCE(decided.reason, w.disabled_reason)
      FROM decided
     WHERE w.id = decided.id
     RETURNING decided.reason, w.id, w.owner_id AS "ownerId", w.owner_nickname AS "ownerNickname",
               w.user_id AS "userId", w.api_id AS "apiId", w.url, w.events, w.active, w.custom,
               w.disabled_reason AS "disabledReason", w.created_at AS "createdAt", w.updated_at AS "updatedAt"
  )
  SELECT updated.* FROM (SELECT 1) AS one LEFT JOIN updated ON true`;
