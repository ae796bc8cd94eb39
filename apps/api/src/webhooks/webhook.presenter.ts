import { WebhookEntity } from '@app/database';
import { webhookResource } from '@app/outbox';
import { WebhookResponse } from './dto/webhook.response';

/**
 * Entity → API representation: what events carry, plus the secret for callers allowed to manage
 * (never for webhook.readonly).
 */
export function presentWebhook(webhook: WebhookEntity, includeSecret: boolean): WebhookResponse {
  return { ...webhookResource(webhook), ...(includeSecret ? { secret: webhook.secret } : {}) };
}
