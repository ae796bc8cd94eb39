/**
 * The event catalog: the one definition used by request validation, GET /events, the OpenAPI
 * document and the worker. Renaming an event breaks subscriptions and queued jobs: add, never rename.
 */
export const EVENT_CATALOG = [
  { name: 'api.created', resourceType: 'Api', description: 'An API was created.' },
  { name: 'api.updated', resourceType: 'Api', description: 'An API was updated.' },
  { name: 'api.deleted', resourceType: 'Api', description: 'An API was deleted.' },
  { name: 'release.created', resourceType: 'Release', description: 'A release of an API was created.' },
  { name: 'release.released', resourceType: 'Release', description: 'A release of an API was released.' },
  {
    name: 'release.deprecated',
    resourceType: 'Release',
    description: 'A release of an API was deprecated.',
  },
  { name: 'plan.created', resourceType: 'Plan', description: 'A plan of an API was created.' },
  { name: 'plan.subscribed', resourceType: 'Plan', description: 'A user subscribed to a plan.' },
  { name: 'plan.unsubscribed', resourceType: 'Plan', description: 'A user unsubscribed from a plan.' },
  { name: 'user.created', resourceType: 'User', description: 'A user was created.' },
  { name: 'webhook.created', resourceType: 'Webhook', description: 'A webhook was created.' },
  { name: 'webhook.updated', resourceType: 'Webhook', description: 'A webhook was updated.' },
  { name: 'webhook.deleted', resourceType: 'Webhook', description: 'A webhook was deleted.' },
  {
    name: 'webhook.disabled',
    resourceType: 'Webhook',
    description: 'The system disabled a webhook (its URL answered 410 Gone, or it kept failing).',
  },
  {
    name: 'webhook.failing',
    resourceType: 'Webhook',
    description: 'Deliveries to a webhook failed 4 attempts in a row (sent once per run of failures).',
  },
  {
    name: 'webhook.recovered',
    resourceType: 'Webhook',
    description: 'A delivery to a webhook succeeded again after webhook.failing.',
  },
  {
    name: 'webhook.paused',
    resourceType: 'Webhook',
    description: 'Fair delivery paused a webhook whose endpoint stopped answering.',
  },
  {
    name: 'webhook.resumed',
    resourceType: 'Webhook',
    description: 'Fair delivery resumed a paused webhook (its endpoint answers again).',
  },
  {
    name: 'delivery.exhausted',
    resourceType: 'Delivery',
    description:
      'A delivery of a platform event gave up: its last attempt failed and no retry is left (once per delivery).',
  },
  {
    name: 'webhook.ping',
    resourceType: 'Webhook',
    description: 'A test event sent by POST /webhooks/{id}/ping to one webhook; never subscribable.',
  },
] as const;

export type EventName = (typeof EVENT_CATALOG)[number]['name'];

export const EVENT_NAMES: readonly EventName[] = EVENT_CATALOG.map((entry) => entry.name);

/** Events that are sent only on request and can never be subscribed to. */
const UNSUBSCRIBABLE_EVENT_NAMES: readonly EventName[] = ['webhook.ping'];

export const SUBSCRIBABLE_EVENT_NAMES: readonly EventName[] = EVENT_NAMES.filter(
  (name) => !UNSUBSCRIBABLE_EVENT_NAMES.includes(name),
);

/**
 * Operational events (README → Operational events): the service reporting on the owner's own
 * endpoints.
 */
export const OPERATIONAL_EVENT_NAMES: readonly EventName[] = [
  'webhook.failing',
  'webhook.recovered',
  'webhook.paused',
  'webhook.resumed',
  'delivery.exhausted',
];

/**
 * The events the service emits itself rather than the platform's services: lifecycle, ping and
 * operational ones. A delivery of one never publishes delivery.exhausted (an endpoint that fails them
 * cannot feed itself an endless chain, nor a user's own actions buy notices), and what its attempts
 * cause is charged to its owner (README → Operational events).
 */
export const SERVICE_EVENT_NAMES: readonly EventName[] = EVENT_NAMES.filter(
  (name) => name.startsWith('webhook.') || OPERATIONAL_EVENT_NAMES.includes(name),
);

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && (EVENT_NAMES as readonly string[]).includes(value);
}
