import { EVENT_CATALOG, EVENT_NAMES, EventName, OPERATIONAL_EVENT_NAMES } from './catalog';

/**
 * JSON Schemas (draft-07: the dialect most receivers' validators read) of the Event as delivered, one
 * per catalog entry, with an example body (README → Receiving webhooks → Event schemas). Served by
 * GET /events and used by the worker's warn-only check of published resources.
 */
export const EVENT_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

export type JsonSchema = Record<string, unknown>;
export type ResourceType = (typeof EVENT_CATALOG)[number]['resourceType'];

const text = { type: 'string' };
const nullableText = { type: ['string', 'null'] };
const dateTime = { type: 'string', format: 'date-time' };

/** Resources owned by other platform services: only the `id` is known, the rest is theirs to add. */
function platformResource(description: string): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1 } },
    additionalProperties: true,
  };
}

/** The webhook as the service itself builds it (libs/outbox webhookResource): no secret, URL masked. */
const WEBHOOK_RESOURCE: JsonSchema = {
  type: 'object',
  description: 'The webhook without its secret, credentials in its URL masked',
  required: [
    'id',
    'user',
    'userId',
    'apiId',
    'url',
    'events',
    'active',
    'custom',
    'createdAt',
    'updatedAt',
    'lastDelivery',
    'disabledReason',
    'rateLimit',
    'signing',
    'ordering',
    'headers',
    'filter',
    'deliveryHealth',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    user: {
      type: 'object',
      required: ['id', 'nickname'],
      properties: { id: text, nickname: nullableText },
    },
    userId: text,
    apiId: { type: ['string', 'null'], format: 'uuid' },
    url: text,
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', enum: [...EVENT_NAMES] } },
      },
    },
    active: { type: 'boolean' },
    custom: nullableText,
    createdAt: dateTime,
    updatedAt: dateTime,
    lastDelivery: {
      type: ['object', 'null'],
      required: ['success', 'statusCode', 'response', 'timestamp'],
      properties: {
        success: { type: 'boolean' },
        statusCode: { type: ['integer', 'null'] },
        response: text,
        timestamp: dateTime,
      },
    },
    disabledReason: { type: ['string', 'null'], enum: ['gone', 'failing', 'membership', null] },
    rateLimit: { type: ['integer', 'null'], minimum: 1, maximum: 10000 },
    signing: { type: 'string', enum: ['hmac-sha256', 'ed25519'] },
    ordering: { type: 'string', enum: ['none', 'fifo'] },
    headers: {
      type: 'object',
      description: 'The custom header names, each value shown as ••••',
      additionalProperties: { const: '••••' },
    },
    filter: { type: ['object', 'null'] },
    deliveryHealth: {
      type: 'object',
      required: ['state', 'pausedUntil'],
      properties: {
        state: { type: 'string', enum: ['healthy', 'slow', 'paused'] },
        pausedUntil: { type: ['string', 'null'], format: 'date-time' },
      },
    },
  },
  additionalProperties: true,
};

/** delivery.exhausted (README → Operational events): the delivery that gave up, no secret in it. */
const DELIVERY_RESOURCE: JsonSchema = {
  type: 'object',
  description: 'A delivery of one event to one webhook that ended failed; the URL masked',
  required: ['id', 'status', 'attempts', 'webhook', 'event', 'lastAttempt', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { const: 'failed' },
    attempts: { type: 'integer', minimum: 1 },
    webhook: {
      type: 'object',
      required: ['id', 'url'],
      properties: { id: { type: 'string', format: 'uuid' }, url: text },
    },
    event: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: text, name: { type: 'string', enum: [...EVENT_NAMES] } },
    },
    lastAttempt: {
      type: ['object', 'null'],
      required: ['statusCode', 'response', 'error', 'timestamp'],
      properties: {
        statusCode: { type: ['integer', 'null'] },
        response: text,
        error: nullableText,
        timestamp: dateTime,
      },
    },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  additionalProperties: true,
};

/** The schema of `resource`, by the catalog's resourceType. */
export const RESOURCE_SCHEMAS: Readonly<Record<ResourceType, JsonSchema>> = {
  Api: platformResource('An API of the platform'),
  Release: platformResource('A release of an API'),
  Plan: platformResource('A plan of an API'),
  User: platformResource('A user of the platform'),
  Webhook: WEBHOOK_RESOURCE,
  Delivery: DELIVERY_RESOURCE,
};

/** What webhook.failing and webhook.recovered add to the webhook (README → Operational events). */
const FAILURE_DETAILS: Partial<Record<EventName, Record<string, JsonSchema>>> = {
  'webhook.failing': {
    consecutiveFailures: { type: 'integer', minimum: 1, description: 'Failed attempts in a row' },
    failingSince: { ...dateTime, description: 'When the run of failures began' },
  },
  'webhook.recovered': {
    failingSince: { ...dateTime, description: 'When the run of failures that just ended began' },
  },
};

/** The schema of one event's `resource`: its type's, with what that event adds. */
export function resourceSchemaOf(name: EventName, resourceType: ResourceType): JsonSchema {
  const base = RESOURCE_SCHEMAS[resourceType];
  const extra = FAILURE_DETAILS[name];
  if (!extra) return base;
  return {
    ...base,
    required: [...(base.required as string[]), ...Object.keys(extra)],
    properties: { ...(base.properties as Record<string, JsonSchema>), ...extra },
  };
}

const WEBHOOK_ID = '0b6f6a4e-3c2d-4e1f-9a8b-7c6d5e4f3a2b';
const API_ID = '5e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const RESOURCE_EXAMPLES: Readonly<Record<ResourceType, Record<string, unknown>>> = {
  Api: { id: API_ID, name: 'Weather API' },
  Release: { id: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', apiId: API_ID, version: '2.1.0' },
  Plan: { id: '8b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e', apiId: API_ID, name: 'Basic' },
  User: { id: 'auth0|5f8a1b2c3d4e', nickname: 'jane' },
  Webhook: {
    id: WEBHOOK_ID,
    user: { id: 'auth0|5f8a1b2c3d4e', nickname: 'jane' },
    userId: 'auth0|5f8a1b2c3d4e',
    apiId: null,
    url: 'https://hooks.example.com/apitree',
    events: [{ name: 'api.created' }, { name: 'api.updated' }],
    active: true,
    custom: null,
    createdAt: '2024-05-01T09:30:00.000Z',
    updatedAt: '2024-05-01T09:30:00.000Z',
    lastDelivery: null,
    disabledReason: null,
    rateLimit: null,
    signing: 'hmac-sha256',
    ordering: 'none',
    headers: { Authorization: '••••' },
    filter: null,
    deliveryHealth: { state: 'healthy', pausedUntil: null },
  },
  Delivery: {
    id: '9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f',
    status: 'failed',
    attempts: 4,
    webhook: { id: WEBHOOK_ID, url: 'https://hooks.example.com/apitree' },
    event: { id: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'api.created' },
    lastAttempt: {
      statusCode: 503,
      response: 'Service Unavailable',
      error: null,
      timestamp: '2024-05-01T10:05:30.000Z',
    },
    createdAt: '2024-05-01T09:30:00.000Z',
    updatedAt: '2024-05-01T10:05:30.000Z',
  },
};

const FAILED_DELIVERY = {
  success: false,
  statusCode: 503,
  response: 'Service Unavailable',
  timestamp: '2024-05-01T09:35:30.000Z',
};

/** Examples of the events that show a webhook in a particular state. */
function resourceExample(name: EventName, resourceType: ResourceType): Record<string, unknown> {
  const base = RESOURCE_EXAMPLES[resourceType];
  switch (name) {
    case 'webhook.failing':
      return {
        ...base,
        lastDelivery: FAILED_DELIVERY,
        consecutiveFailures: 4,
        failingSince: '2024-05-01T09:30:05.000Z',
      };
    case 'webhook.recovered':
      return {
        ...base,
        lastDelivery: { ...FAILED_DELIVERY, success: true, statusCode: 200, response: 'OK' },
        failingSince: '2024-05-01T09:30:05.000Z',
      };
    case 'webhook.paused':
      return {
        ...base,
        lastDelivery: { ...FAILED_DELIVERY, statusCode: null, response: 'timeout after 15000 ms' },
        deliveryHealth: { state: 'paused', pausedUntil: '2024-05-01T09:36:30.000Z' },
      };
    default:
      return base;
  }
}

/** The schema of the Event body delivered for one catalog entry. */
function eventSchema(name: EventName, resourceType: ResourceType, description: string): JsonSchema {
  return {
    $schema: EVENT_SCHEMA_DIALECT,
    $id: `urn:apitree:event:${name}`,
    title: name,
    description,
    type: 'object',
    required: ['id', 'name', 'timestamp', 'user', 'resourceType', 'resource'],
    properties: {
      id: { type: 'string', minLength: 1, description: 'Event id, also the webhook-id header' },
      name: { const: name },
      timestamp: dateTime,
      user: {
        type: 'object',
        description: 'Who caused the event',
        required: ['id'],
        properties: { id: text, nickname: nullableText },
      },
      resourceType: { const: resourceType },
      resource: resourceSchemaOf(name, resourceType),
      apiId: text,
      ownerId: text,
    },
  };
}

function eventExample(name: EventName, resourceType: ResourceType): Record<string, unknown> {
  const owned = resourceType !== 'Api' && resourceType !== 'Release' && resourceType !== 'Plan';
  const system = name === 'webhook.disabled' || OPERATIONAL_EVENT_NAMES.includes(name);
  return {
    id: '2f9c7d4e-1b3a-4c5d-8e6f-7a8b9c0d1e2f',
    name,
    timestamp: '2024-05-01T09:30:00.000Z',
    user: system ? { id: 'system', nickname: 'ApiTree' } : { id: 'auth0|5f8a1b2c3d4e', nickname: 'jane' },
    resourceType,
    resource: resourceExample(name, resourceType),
    ...(owned ? { ownerId: 'auth0|5f8a1b2c3d4e' } : { apiId: API_ID }),
  };
}

export interface EventCatalogEntry {
  name: EventName;
  description: string;
  resourceType: ResourceType;
  schema: JsonSchema;
  example: Record<string, unknown>;
}

/** GET /events: the catalog with each event's schema and example, built once. */
export const EVENT_CATALOG_ENTRIES: readonly EventCatalogEntry[] = EVENT_CATALOG.map(
  ({ name, description, resourceType }) => ({
    name,
    description,
    resourceType,
    schema: eventSchema(name, resourceType, description),
    example: eventExample(name, resourceType),
  }),
);

const ENTRIES_BY_NAME = new Map<string, EventCatalogEntry>(
  EVENT_CATALOG_ENTRIES.map((entry) => [entry.name, entry]),
);

/** A Map, not an object: `constructor` or `__proto__` find nothing. */
export function findEventCatalogEntry(name: string): EventCatalogEntry | undefined {
  return ENTRIES_BY_NAME.get(name);
}
