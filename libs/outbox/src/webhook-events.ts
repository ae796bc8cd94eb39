import type { WebhookEntity } from '@app/database';
import type { EventEnvelope, EventUser } from '@app/events';

/** The webhook as events carry it: the API representation without its secret (SPEC §6). */
export function webhookResource(webhook: WebhookEntity) {
  return {
    id: webhook.id,
    user: { id: webhook.ownerId, nickname: webhook.ownerNickname },
    userId: webhook.userId,
    apiId: webhook.apiId,
    url: webhook.url,
    events: webhook.events.map((name) => ({ name })),
    active: webhook.active,
    custom: webhook.custom,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
    lastDelivery: webhook.lastDelivery,
    disabledReason: webhook.disabledReason,
    rateLimit: webhook.rateLimit ?? null,
    deliveryHealth: deliveryHealthOf(webhook),
  };
}

export type DeliveryHealthState = 'healthy' | 'slow' | 'paused';

/**
 * Where the webhook stands with the delivery engine (README → Fair delivery): paused while its
 * circuit is open (pausedUntil: the end of the cool-down, in the past while the probe runs), slow
 * while the worker finds it slow, healthy otherwise.
 */
export function deliveryHealthOf(webhook: Partial<Pick<WebhookEntity, 'pausedUntil' | 'slowSince'>>): {
  state: DeliveryHealthState;
  pausedUntil: string | null;
} {
  if (webhook.pausedUntil) return { state: 'paused', pausedUntil: webhook.pausedUntil.toISOString() };
  return { state: webhook.slowSince ? 'slow' : 'healthy', pausedUntil: null };
}

/** Who acts when the system itself changes a webhook (auto-disable). */
export const SYSTEM_USER: EventUser = { id: 'system', nickname: 'ApiTree' };

export type WebhookLifecycleEvent =
  'webhook.created' | 'webhook.updated' | 'webhook.deleted' | 'webhook.disabled';

/**
 * Lifecycle events go to the owner's webhooks only (`ownerId`, never `apiId`: other subscribers of
 * an API must not learn about someone else's webhook).
 */
export function webhookLifecycleEnvelope(
  name: WebhookLifecycleEvent,
  webhook: WebhookEntity,
  actor: EventUser,
  id: string,
): EventEnvelope & { id: string; timestamp: string } {
  return {
    id,
    name,
    timestamp: new Date().toISOString(),
    user: actor,
    resourceType: 'Webhook',
    resource: webhookResource(webhook),
    ownerId: webhook.ownerId,
  };
}
