import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  findEventCatalogEntry,
  isEventName,
  OPERATIONAL_EVENT_NAMES,
  SUBSCRIBABLE_EVENT_NAMES,
} from '@app/events';
import {
  deliveryExhaustedEnvelope,
  ExhaustedDeliverySource,
  webhookOperationalEnvelope,
  WebhookOperationalEvent,
} from './operational-events';
import { WebhookEventSource } from './webhook-events';

const SLACK_URL = 'https://hooks.slack.com/services/T0123ABCD/B0123EFGH/abcdefghijklmnopqrstuvwxyz';

const webhook: WebhookEventSource = {
  id: '0b6f6a4e-3c2d-4e1f-9a8b-7c6d5e4f3a2b',
  ownerId: 'owner-1',
  ownerNickname: 'jane',
  userId: 'owner-1',
  apiId: null,
  url: SLACK_URL,
  events: ['api.created'],
  active: true,
  custom: null,
  createdAt: new Date('2025-01-01T00:00:00Z'),
  updatedAt: new Date('2025-01-01T00:00:00Z'),
  lastDelivery: {
    success: false,
    statusCode: 404,
    response: `no route for ${SLACK_URL}`,
    timestamp: '2025-01-01T00:05:00.000Z',
  },
  disabledReason: null,
  rateLimit: null,
  signing: 'hmac-sha256',
  filter: null,
  ordering: 'none',
  headers: { Authorization: 'Bearer top-secret' },
  pausedUntil: null,
  slowSince: null,
};

const delivery: ExhaustedDeliverySource = {
  deliveryId: '9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f',
  webhookId: webhook.id,
  url: 'https://example.com/hook?api_key=k3y-value-that-is-secret',
  ownerId: 'owner-1',
  eventId: 'evt-1',
  eventName: 'api.created',
  attempts: 5,
  createdAt: new Date('2025-01-01T00:00:00Z'),
  updatedAt: new Date('2025-01-01T01:00:00Z'),
  lastAttempt: {
    statusCode: null,
    response: '',
    error: 'connect ECONNREFUSED for https://example.com/hook?api_key=k3y-value-that-is-secret',
    at: new Date('2025-01-01T01:00:00Z'),
  },
};

function validator(name: string) {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(findEventCatalogEntry(name)!.schema);
}

describe('operational events (README → Operational events)', () => {
  it('are in the catalog, subscribable', () => {
    for (const name of OPERATIONAL_EVENT_NAMES) {
      expect(isEventName(name)).toBe(true);
      expect(SUBSCRIBABLE_EVENT_NAMES).toContain(name);
    }
  });

  it.each(['webhook.failing', 'webhook.recovered', 'webhook.paused', 'webhook.resumed'] as const)(
    '%s: the webhook without its secret, its URL and header values masked, valid against its schema',
    (name: WebhookOperationalEvent) => {
      const envelope = webhookOperationalEnvelope(name, webhook, {
        consecutiveFailures: 4,
        failingSince: new Date('2025-01-01T00:01:00Z'),
      });
      expect(envelope).toMatchObject({ name, ownerId: 'owner-1', user: { id: 'system' } });
      const json = JSON.stringify(envelope);
      expect(json).not.toContain('abcdefghijklmnopqrstuvwxyz');
      expect(json).not.toContain('top-secret');
      const validate = validator(name);
      expect([validate(envelope), validate.errors]).toEqual([true, null]);
    },
  );

  it('webhook.failing says how many in a row and since when; resumed adds nothing', () => {
    const since = new Date('2025-01-01T00:01:00Z');
    const failing = webhookOperationalEnvelope('webhook.failing', webhook, {
      consecutiveFailures: 4,
      failingSince: since,
    });
    expect(failing.resource).toMatchObject({ consecutiveFailures: 4, failingSince: since.toISOString() });
    const resumed = webhookOperationalEnvelope('webhook.resumed', webhook);
    expect(resumed.resource).not.toHaveProperty('consecutiveFailures');
    expect(resumed.resource).not.toHaveProperty('failingSince');
    // The schema wants the details where they belong.
    expect(validator('webhook.failing')({ ...failing, resource: resumed.resource })).toBe(false);
  });

  it('delivery.exhausted: the delivery summary, URL masked also in the error, valid against its schema', () => {
    const envelope = deliveryExhaustedEnvelope(delivery);
    expect(envelope).toMatchObject({
      name: 'delivery.exhausted',
      resourceType: 'Delivery',
      ownerId: 'owner-1',
      resource: {
        id: delivery.deliveryId,
        status: 'failed',
        attempts: 5,
        webhook: { id: webhook.id, url: 'https://example.com/hook?api_key=••••cret' },
        event: { id: 'evt-1', name: 'api.created' },
        lastAttempt: { statusCode: null, timestamp: '2025-01-01T01:00:00.000Z' },
      },
    });
    expect(JSON.stringify(envelope)).not.toContain('k3y-value-that-is-secret');
    const validate = validator('delivery.exhausted');
    expect([validate(envelope), validate.errors]).toEqual([true, null]);
    const none = deliveryExhaustedEnvelope({ ...delivery, lastAttempt: null });
    expect(validate(none)).toBe(true);
  });
});
