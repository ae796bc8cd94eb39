import type { LastDelivery, WebhookEntity } from '@app/database';
import type { EventEnvelope, EventUser } from '@app/events';
import { maskUrl, maskUrlsInText } from '@app/netguard';

/**
 * The one definition of what a webhook event's `resource` is made of (webhookResource): each field
 * with its column. Every path that builds a webhook event reads exactly these: the API's loaded
 * entity has them all, and the worker's statements select them with webhookEventColumns (its
 * lifecycle and operational events alike), so no event shows a field defaulted for want of its
 * column. A field added to the resource is added here, and the type makes every path provide it.
 */
const WEBHOOK_EVENT_COLUMNS = {
  id: 'id',
  ownerId: 'owner_id',
  ownerNickname: 'owner_nickname',
  userId: 'user_id',
  apiId: 'api_id',
  url: 'url',
  events: 'events',
  active: 'active',
  custom: 'custom',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  lastDelivery: 'last_delivery',
  disabledReason: 'disabled_reason',
  rateLimit: 'rate_limit',
  signing: 'signing',
  ordering: 'ordering',
  filter: 'filter',
  pausedUntil: 'paused_until',
  slowSince: 'slow_since',
  headers: 'headers',
} as const satisfies Partial<Record<keyof WebhookEntity, string>>;

/** The webhook as its events are built from (header values opened: only their names are shown). */
export type WebhookEventSource = Pick<WebhookEntity, keyof typeof WEBHOOK_EVENT_COLUMNS>;

/** A row selected with webhookEventColumns: the headers still sealed, for the caller to open. */
export type StoredWebhookEventSource = Omit<WebhookEventSource, 'headers'> & { storedHeaders: string | null };

/**
 * The SELECT (or RETURNING) list of a webhook event's columns from `webhooks <alias>`, camelCase as
 * WebhookEventSource names them; the sealed headers come as `storedHeaders`.
 */
export function webhookEventColumns(alias: string): string {
  return Object.entries(WEBHOOK_EVENT_COLUMNS)
    .map(([field, column]) => `${alias}.${column} AS "${field === 'headers' ? 'storedHeaders' : field}"`)
    .join(', ');
}

/** What a custom header's value shows as wherever the webhook is shown without its secret. */
export const REDACTED_HEADER_VALUE = '••••';

/**
 * The webhook as events (and webhook.readonly tokens) see it (README → Lifecycle events): no secret, header
 * values replaced by `••••`, and its URL's credential parts masked, in the URL and wherever the last response echoes them: events go to the
 * owner's other endpoints, whose receivers must not be able to post to this one.
 */
export function webhookResource(webhook: WebhookEventSource) {
  return {
    id: webhook.id,
    user: { id: webhook.ownerId, nickname: webhook.ownerNickname },
    userId: webhook.userId,
    apiId: webhook.apiId,
    url: maskUrl(webhook.url),
    events: webhook.events.map((name) => ({ name })),
    active: webhook.active,
    custom: webhook.custom,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
    lastDelivery: maskedLastDelivery(webhook.lastDelivery, webhook.url),
    disabledReason: webhook.disabledReason,
    rateLimit: webhook.rateLimit ?? null,
    signing: webhook.signing,
    ordering: webhook.ordering,
    // Header values are often the receiver's credentials: names only.
    headers: Object.fromEntries(
      Object.keys(webhook.headers ?? {}).map((name) => [name, REDACTED_HEADER_VALUE]),
    ),
    filter: webhook.filter ?? null,
    deliveryHealth: deliveryHealthOf(webhook),
  };
}

function maskedLastDelivery(last: LastDelivery | null, url: string): LastDelivery | null {
  return last && { ...last, response: maskUrlsInText(last.response, url) };
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
  webhook: WebhookEventSource,
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
