import {
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeliveryAttemptEntity } from '@app/database';
import { DeliveryQueue } from '@app/queue';
import { Principal } from '../auth/principal';
import { Entitlements } from '../entitlements/entitlements.service';
import { ActionBudget } from '../rate-limit/action-budget';
import { QueuedDelivery } from '../webhooks/webhook-actions.service';
import { assertWebhookActive, findOwnedWebhook, isUuid } from '../webhooks/owned-webhook';
import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor';
import { DEFAULT_DELIVERIES_LIMIT, ListDeliveriesQuery } from './dto/list-deliveries.query';

export interface DeliveryAttemptDetail {
  attempt: DeliveryAttemptEntity;
  /** The body sent: the recorded one, else the event's (kept while any of its attempts is). */
  body: string | null;
  /** The webhook's URL: what a read-only view masks in the response. */
  url: string;
}

export interface DeliveryAttemptPage {
  items: DeliveryAttemptEntity[];
  nextCursor: string | null;
  /** The webhook's URL: what a read-only view masks in the responses. */
  url: string;
}

/**
 * $1 attempt id, $2 webhook id: what a redelivery needs of the attempt, and whether its event was
 * erased, in one statement (attempt and event by primary key).
 */
const REDELIVERED_ATTEMPT_SQL = `
  SELECT a.delivery_id AS "deliveryId", a.event_id AS "eventId", e.erased_at IS NOT NULL AS "eventErased"
    FROM delivery_attempts a LEFT JOIN events e ON e.id = a.event_id
   WHERE a.id = $1 AND a.webhook_id = $2`;

interface RedeliveredAttempt {
  deliveryId: string;
  eventId: string;
  eventErased: boolean;
}

/** The attempt log of a webhook, and redelivery of what it lists. */
@Injectable()
export class DeliveriesService {
  private readonly logger = new Logger(DeliveriesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveryQueue: DeliveryQueue,
    private readonly entitlements: Entitlements,
    private readonly budget: ActionBudget,
  ) {}

  /**
   * Newest first, keyset-paginated on (created_at, id) along IDX_delivery_attempts_webhook_created:
   * a page costs the same however deep it is, and attempts written meanwhile never shift a page.
   */
  async list(
    principal: Principal,
    webhookId: string,
    query: ListDeliveriesQuery,
  ): Promise<DeliveryAttemptPage> {
    const webhook = await findOwnedWebhook(this.dataSource.manager, principal, webhookId);
    const limit = query.limit ?? DEFAULT_DELIVERIES_LIMIT;
    const builder = this.dataSource
      .getRepository(DeliveryAttemptEntity)
      .createQueryBuilder('attempt')
      // The cursor keeps PostgreSQL's microseconds; a JavaScript Date would cut them to milliseconds.
      .addSelect(
        `to_char(attempt.createdAt AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
        'cursor_created_at',
      )
      .where('attempt.webhookId = :webhookId', { webhookId: webhook.id });
    if (query.success !== undefined) {
      builder.andWhere('attempt.success = :success', { success: query.success });
    }
    if (query.eventName) {
      builder.andWhere('attempt.eventName = :eventName', { eventName: query.eventName });
    }
    if (query.cursor) {
      // Validated by the query DTO; decoding again cannot fail.
      const cursor = decodeDeliveryCursor(query.cursor);
      if (cursor) {
        builder.andWhere(
          '(attempt.createdAt, attempt.id) < (CAST(:cursorCreatedAt AS timestamptz), CAST(:cursorId AS uuid))',
          { cursorCreatedAt: cursor.createdAt, cursorId: cursor.id },
        );
      }
    }
    const { entities, raw } = await builder
      .orderBy('attempt.createdAt', 'DESC')
      .addOrderBy('attempt.id', 'DESC')
      .limit(limit + 1)
      .getRawAndEntities<{ cursor_created_at: string }>();
    const items = entities.slice(0, limit);
    const last = items.at(-1);
    const nextCursor =
      entities.length > limit && last
        ? encodeDeliveryCursor({ createdAt: raw[limit - 1].cursor_created_at, id: last.id })
        : null;
    return { items, nextCursor, url: webhook.url };
  }

  /**
   * One attempt with what it sent. Unknown, foreign and malformed ids alike are `Delivery not found`.
   * The body was recorded only where it was not the event's own (a Slack rendering).
   */
  async get(principal: Principal, webhookId: string, attemptId: string): Promise<DeliveryAttemptDetail> {
    const manager = this.dataSource.manager;
    const webhook = await findOwnedWebhook(manager, principal, webhookId);
    const attempt = isUuid(attemptId)
      ? await manager.findOne(DeliveryAttemptEntity, { where: { id: attemptId, webhookId: webhook.id } })
      : null;
    if (!attempt) throw new NotFoundException('Delivery not found');
    let body = attempt.requestBody;
    if (body === null) {
      // An erased event's body is gone (README → API → Erasure): null, as for one past retention.
      const rows = await manager.query<Array<{ body: string | null }>>(
        'SELECT CASE WHEN erased_at IS NULL THEN body END AS body FROM events WHERE id = $1',
        [attempt.eventId],
      );
      body = rows[0]?.body ?? null;
    }
    return { attempt, body, url: webhook.url };
  }

  /**
   * One extra attempt of the delivery an attempt belongs to: the same event (same `webhook-id`)
   * sent again now, beside any retry still scheduled. Only the queue carries the request, so a
   * queue outage is a 503 the caller can retry, never a silent no-op.
   */
  async redeliver(principal: Principal, webhookId: string, attemptId: string): Promise<QueuedDelivery> {
    const manager = this.dataSource.manager;
    const webhook = await findOwnedWebhook(manager, principal, webhookId);
    const [attempt] = isUuid(attemptId)
      ? await manager.query<RedeliveredAttempt[]>(REDELIVERED_ATTEMPT_SQL, [attemptId, webhook.id])
      : [];
    if (!attempt) throw new NotFoundException('Delivery not found');
    await this.entitlements.assertMayManage(principal, webhook);
    assertWebhookActive(webhook, 'redeliver');
    // An erased event is never sent again (README → API → Erasure); the worker drops it too.
    if (attempt.eventErased) throw new ConflictException(EVENT_ERASED_MESSAGE);
    await this.budget.charge(principal, 1);
    try {
      await this.deliveryQueue.enqueueRedelivery(attempt.deliveryId, webhook.id);
    } catch (error) {
      this.logger.warn(`Redelivery of ${attempt.deliveryId} not enqueued: ${(error as Error).message}`);
      throw new ServiceUnavailableException('Delivery queue unavailable, try again later');
    }
    return { eventId: attempt.eventId, deliveryId: attempt.deliveryId };
  }
}

export const EVENT_ERASED_MESSAGE =
  "This delivery's event was erased (DELETE /users/{userId}/data): it is not sent again";
