import { WebhookEntity } from '@app/database';
import { webhookResource } from '@app/outbox';
import { WebhookResponse } from './dto/webhook.response';
import { shownSecret } from './signing-credentials';

/**
 * Entity → API representation. Callers who manage webhooks (scope `webhook`) get them whole: URL,
 * last response, secret and header values; `withSecret: false` leaves the secret out (the portal shows
 * it once, README → Portal → What a session can do). webhook.readonly gets what events carry: no
 * secret, header names without values, and the URL's credential parts masked (README → Security →
 * Credential URLs).
 */
export function presentWebhook(
  webhook: WebhookEntity,
  canManage: boolean,
  { withSecret = canManage }: { withSecret?: boolean } = {},
): WebhookResponse {
  const resource = webhookResource(webhook);
  if (!canManage) return resource;
  return {
    ...resource,
    url: webhook.url,
    lastDelivery: webhook.lastDelivery,
    ...(withSecret ? { secret: shownSecret(webhook) } : {}),
    headers: webhook.headers ?? {},
  };
}
