import { getSchemaPath } from '@nestjs/swagger';
import type { CallbacksObject, ParameterObject } from '@nestjs/swagger';
import { EVENT_CATALOG, EventName, OPERATIONAL_EVENT_NAMES } from '@app/events';
import { WebhookResponse } from '../webhooks/dto/webhook.response';
import { EventSchema } from './event.schema';

const header = (name: string, description: string, example: string, pattern?: string): ParameterObject => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string', ...(pattern ? { pattern } : {}) },
  example,
});

/** The headers of every delivery (README → Receiving webhooks). */
const DELIVERY_HEADERS: ParameterObject[] = [
  header(
    'webhook-id',
    'The event id: the same on every retry and redelivery (deduplicate on it)',
    '3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35',
  ),
  header('webhook-timestamp', 'Unix seconds of this attempt', '1764238530', '^[0-9]+$'),
  header(
    'webhook-signature',
    '`v1,` + base64 of HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}`, keyed with the base64-decoded part of the webhook secret after `whsec_`. With `signing: ed25519`, `v1a,` + base64 of the Ed25519 signature of the same string, verified with a key of GET /webhooks/{id}/jwks (README → Verifying Ed25519 signatures). Two space-separated signatures while a rotated secret or key overlaps. The `standardwebhooks` libraries verify `v1,` as it is (README → Verifying deliveries).',
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    '^v1a?,[A-Za-z0-9+/=]+( v1a?,[A-Za-z0-9+/=]+)*$',
  ),
  header('user-agent', 'Always this value', 'ApiTree-Webhooks/2.0'),
  header('x-apitree-event', 'The event name', 'api.created'),
  header(
    'x-apitree-delivery',
    'The attempt id: the `id` of the item in GET /webhooks/{id}/deliveries',
    '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
  ),
];

const DELIVERY_DESCRIPTION = `Sent by ApiTree to the URL of every active webhook that subscribes to this event (and whose \`apiId\`
equals the event's, or, without \`apiId\`, whose \`userId\` is the event's owner). Answer 2xx within
DELIVERY_TIMEOUT (15 s) to acknowledge it; redirects are not followed. Verify the signature before trusting
the body.`;

/** A webhook as `webhook.*` events carry it: without its secret, its URL and header values masked. */
const EXAMPLE_WEBHOOK_RESOURCE = {
  id: 'd679ce92-572a-4dcd-b5a1-c72fc449b61e',
  user: { id: '10123', nickname: 'jdoe' },
  userId: '10123',
  apiId: null,
  url: 'https://hooks.slack.com/services/••••3456',
  events: [{ name: 'api.created' }, { name: 'release.released' }],
  active: true,
  custom: null,
  createdAt: '2025-11-27T10:15:30.123Z',
  updatedAt: '2025-11-27T10:15:30.123Z',
  lastDelivery: null,
  disabledReason: null,
  rateLimit: null,
  signing: 'hmac-sha256',
  ordering: 'none',
  headers: { Authorization: '••••' },
  filter: null,
  deliveryHealth: { state: 'healthy', pausedUntil: null },
};

const FAILED_ATTEMPT = {
  success: false,
  statusCode: 503,
  response: 'Service Unavailable',
  timestamp: '2025-11-27T10:20:30.123Z',
};

/** What operational events (README → Operational events) show of the webhook, by event. */
const EXAMPLE_OPERATIONAL_RESOURCES: Record<string, Record<string, unknown>> = {
  'webhook.failing': {
    ...EXAMPLE_WEBHOOK_RESOURCE,
    lastDelivery: FAILED_ATTEMPT,
    consecutiveFailures: 4,
    failingSince: '2025-11-27T10:15:35.123Z',
  },
  'webhook.recovered': {
    ...EXAMPLE_WEBHOOK_RESOURCE,
    lastDelivery: { ...FAILED_ATTEMPT, success: true, statusCode: 200, response: 'ok' },
    failingSince: '2025-11-27T10:15:35.123Z',
  },
  'webhook.paused': {
    ...EXAMPLE_WEBHOOK_RESOURCE,
    lastDelivery: { ...FAILED_ATTEMPT, statusCode: null, response: 'timeout after 15000 ms' },
    deliveryHealth: { state: 'paused', pausedUntil: '2025-11-27T10:21:30.123Z' },
  },
  'delivery.exhausted': {
    id: '6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
    status: 'failed',
    attempts: 4,
    webhook: { id: EXAMPLE_WEBHOOK_RESOURCE.id, url: EXAMPLE_WEBHOOK_RESOURCE.url },
    event: { id: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', name: 'api.created' },
    lastAttempt: {
      statusCode: 503,
      response: 'Service Unavailable',
      error: null,
      timestamp: FAILED_ATTEMPT.timestamp,
    },
    createdAt: '2025-11-27T09:45:30.123Z',
    updatedAt: FAILED_ATTEMPT.timestamp,
  },
};

/** The Delivery resource of delivery.exhausted, in OpenAPI 3.0 terms (GET /events has its JSON Schema). */
const DELIVERY_RESOURCE_SCHEMA = {
  type: 'object',
  required: ['id', 'status', 'attempts', 'webhook', 'event', 'lastAttempt', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'The delivery' },
    status: { type: 'string', enum: ['failed'] },
    attempts: { type: 'integer', minimum: 1 },
    webhook: {
      type: 'object',
      required: ['id', 'url'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        url: { type: 'string', description: 'Credential parts masked' },
      },
    },
    event: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: { type: 'string' }, name: { type: 'string' } },
    },
    lastAttempt: {
      type: 'object',
      nullable: true,
      required: ['statusCode', 'response', 'error', 'timestamp'],
      properties: {
        statusCode: { type: 'integer', nullable: true },
        response: { type: 'string' },
        error: { type: 'string', nullable: true },
        timestamp: { type: 'string', format: 'date-time' },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time', description: 'When it gave up' },
  },
};

/** webhook.failing and webhook.recovered add these to the Webhook. */
const FAILURE_DETAILS_SCHEMA = {
  type: 'object',
  properties: {
    consecutiveFailures: { type: 'integer', description: 'webhook.failing: failed attempts in a row' },
    failingSince: { type: 'string', format: 'date-time', description: 'When the run of failures began' },
  },
};

function resourceSchema(name: string, resourceType: string): Record<string, unknown> {
  if (resourceType === 'Delivery') return { resource: DELIVERY_RESOURCE_SCHEMA };
  if (resourceType !== 'Webhook') return {};
  const webhook = { $ref: getSchemaPath(WebhookResponse) };
  if (name === 'webhook.failing' || name === 'webhook.recovered') {
    return { resource: { allOf: [webhook, FAILURE_DETAILS_SCHEMA] } };
  }
  return { resource: webhook };
}

function exampleEvent(name: string, resourceType: string): Record<string, unknown> {
  const owned = resourceType === 'Webhook' || resourceType === 'Delivery';
  const system = name === 'webhook.disabled' || OPERATIONAL_EVENT_NAMES.includes(name as EventName);
  const resource =
    EXAMPLE_OPERATIONAL_RESOURCES[name] ??
    (resourceType === 'Webhook'
      ? EXAMPLE_WEBHOOK_RESOURCE
      : { id: 'c0a5e2d4-7b1f-4c3a-8e9d-2f6b1a0c4d7e', name: 'Pets' });
  return {
    id: '3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35',
    name,
    timestamp: '2025-11-27T10:15:30.123Z',
    user: system ? { id: 'system', nickname: 'ApiTree' } : { id: '10123', nickname: 'jdoe' },
    resourceType,
    resource,
    ...(owned ? { ownerId: '10123' } : { apiId: '5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b' }),
  };
}

/**
 * The deliveries, as callbacks of POST /webhooks (the document is OpenAPI 3.0, which has no
 * top-level `webhooks`): one per event of the catalog, so the document shows receivers what they
 * get (body, headers, signature) and what their answer does.
 */
export function deliveryCallbacks(): CallbacksObject {
  const callbacks: CallbacksObject = {};
  for (const { name, description, resourceType } of EVENT_CATALOG) {
    callbacks[name] = {
      '{$request.body#/url}': {
        post: {
          summary: `${name}: ${description}`,
          description: DELIVERY_DESCRIPTION,
          operationId: `deliver_${name.replace('.', '_')}`,
          tags: ['Deliveries to your URL'],
          parameters: DELIVERY_HEADERS,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  allOf: [
                    { $ref: getSchemaPath(EventSchema) },
                    {
                      properties: {
                        name: { enum: [name] },
                        resourceType: { enum: [resourceType] },
                        ...resourceSchema(name, resourceType),
                      },
                    },
                  ],
                },
                example: exampleEvent(name, resourceType),
              },
            },
          },
          responses: {
            '2XX': { description: 'Delivered: the attempt is recorded as a success' },
            '410': {
              description: 'Gone: the webhook is disabled at once (`disabledReason: "gone"`), no retries',
            },
            default: {
              description:
                'Any other answer, a 3xx, a timeout or a connection error: retried on DELIVERY_RETRY_SCHEDULE (after a 429 or 503, not before its Retry-After); a webhook failing for WEBHOOK_DISABLE_AFTER is disabled',
            },
          },
        },
      },
    };
  }
  return callbacks;
}
