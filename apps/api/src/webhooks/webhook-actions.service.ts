import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { DeliveryEntity, EventEntity } from '@app/database';
import { EventEnvelope, toPlatformEvent } from '@app/events';
import { webhookResource } from '@app/outbox';
import { DeliveryQueue } from '@app/queue';
import { Principal } from '../auth/principal';
import { Entitlements } from '../entitlements/entitlements.service';
import { ActionBudget } from '../rate-limit/action-budget';
import { assertWebhookActive, findOwnedWebhook } from './owned-webhook';
import { rotateCredentials, shownSecret } from './signing-credentials';

export interface QueuedDelivery {
  eventId: string;
  deliveryId: string;
}

/** What one does with a webhook besides editing it: ping it, rotate its secret. */
@Injectable()
export class WebhookActionsService {
  private readonly logger = new Logger(WebhookActionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly deliveryQueue: DeliveryQueue,
    private readonly entitlements: Entitlements,
    private readonly budget: ActionBudget,
  ) {}

  /**
   * A `webhook.ping` event for this webhook alone, whatever it subscribes to: the event and its
   * delivery row are committed first (PostgreSQL is the source of truth), then the job is enqueued.
   */
  async ping(principal: Principal, id: string): Promise<QueuedDelivery> {
    // A ping carries no API data: only membership is rechecked, not the Core-API.
    const current = await findOwnedWebhook(this.dataSource.manager, principal, id);
    await this.entitlements.assertMayManage(principal, current, { checkApi: false });
    assertWebhookActive(current, 'ping');
    await this.budget.charge(principal, 1);
    const queued = await this.dataSource.transaction(async (manager) => {
      // The lock keeps a concurrent delete from removing the webhook under the new delivery row.
      const webhook = await findOwnedWebhook(manager, principal, id, true);
      assertWebhookActive(webhook, 'ping');
      const envelope: EventEnvelope = {
        name: 'webhook.ping',
        user: { id: principal.id, nickname: principal.nickname },
        resourceType: 'Webhook',
        resource: webhookResource(webhook),
        ownerId: webhook.ownerId,
      };
      const eventId = randomUUID();
      // `body` is the exact JSON delivered and signed, on every attempt and redelivery.
      const body = JSON.stringify(toPlatformEvent(envelope, eventId, new Date().toISOString()));
      await manager.insert(EventEntity, { id: eventId, name: envelope.name, body });
      const delivery = manager.create(DeliveryEntity, {
        eventId,
        webhookId: webhook.id,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: new Date(),
        lockedUntil: null,
      });
      const saved = await manager.save(delivery);
      return { eventId, deliveryId: saved.id, webhookId: webhook.id };
    });
    try {
      await this.deliveryQueue.enqueue([{ deliveryId: queued.deliveryId, webhookId: queued.webhookId }]);
    } catch (error) {
      // The row is committed and due: the worker's sweeper enqueues it once Redis is back.
      this.logger.warn(
        `Ping delivery ${queued.deliveryId} not enqueued, left to the sweeper: ${(error as Error).message}`,
      );
    }
    return { eventId: queued.eventId, deliveryId: queued.deliveryId };
  }

  /**
   * A new secret (an Ed25519 key pair for `signing: ed25519`); the current one becomes the previous
   * secret and keeps signing alongside until SECRET_ROTATION_OVERLAP has passed. Rotating again within
   * the overlap retires the older one at once. Returns the new secret as the API shows it.
   */
  async rotateSecret(principal: Principal, id: string): Promise<string> {
    await this.entitlements.assertMayManage(
      principal,
      await findOwnedWebhook(this.dataSource.manager, principal, id),
    );
    return this.dataSource.transaction(async (manager) => {
      const webhook = await findOwnedWebhook(manager, principal, id, true);
      rotateCredentials(webhook, this.config.secretRotationOverlapMs);
      const saved = await manager.save(webhook);
      return shownSecret(saved);
    });
  }
}
