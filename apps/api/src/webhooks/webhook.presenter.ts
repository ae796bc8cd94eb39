import { WebhookEntity } from '@app/database';
import { WebhookResponse } from './dto/webhook.response';

/** Entity → API representation. The secret is included only for callers allowed to manage. */
export function presentWebhook(webhook: WebhookEntity, includeSecret: boolean): WebhookResponse {
  return {
    id: webhook.id,
    user: { id: webhook.ownerId, nickname: webhook.ownerNickname },
    userId: webhook.userId,
    apiId: webhook.apiId,
    url: webhook.url,
    events: webhook.events.map((name) => ({ name })),
    ...(includeSecret ? { secret: webhook.secret } : {}),
    active: webhook.active,
    custom: webhook.custom,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
    lastDelivery: webhook.lastDelivery,
    disabledReason: webhook.disabledReason,
  };
}
