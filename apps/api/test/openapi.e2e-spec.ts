import request from 'supertest';
import { createTestApi, TestApi } from './helpers/test-app';

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  summary?: string;
}

describe('OpenAPI document (e2e)', () => {
  let api: TestApi;
  let document: {
    openapi: string;
    info: { version: string };
    paths: Record<string, Record<string, Operation>>;
    components: {
      schemas: Record<string, { properties?: Record<string, { description?: string }> }>;
      securitySchemes: Record<string, unknown>;
    };
  };

  beforeAll(async () => {
    api = await createTestApi();
    document = (await request(api.http).get('/openapi.json').expect(200)).body;
  });
  afterAll(() => api.close());

  it('is OpenAPI 3 for version 2.0.0 with the scopes', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe('2.0.0');
    expect(JSON.stringify(document.components.securitySchemes)).toContain('webhook.readonly');
  });

  it.each([
    ['/webhooks', 'get', ['webhook', 'webhook.readonly'], ['200', '400', '401', '403', '503']],
    ['/webhooks', 'post', ['webhook'], ['201', '400', '401', '403', '409', '413', '415', '503']],
    ['/webhooks/{id}', 'get', ['webhook', 'webhook.readonly'], ['200', '401', '403', '404', '503']],
    ['/webhooks/{id}', 'put', ['webhook'], ['200', '400', '401', '403', '404', '413', '415', '503']],
    ['/webhooks/{id}', 'delete', ['webhook'], ['204', '401', '403', '404', '503']],
    ['/webhooks/{id}/ping', 'post', ['webhook'], ['202', '401', '403', '404', '409', '503']],
    [
      '/webhooks/{id}/deliveries',
      'get',
      ['webhook', 'webhook.readonly'],
      ['200', '400', '401', '403', '404', '503'],
    ],
    [
      '/webhooks/{id}/deliveries/{attemptId}',
      'get',
      ['webhook', 'webhook.readonly'],
      ['200', '401', '403', '404', '503'],
    ],
    [
      '/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      'post',
      ['webhook'],
      ['202', '401', '403', '404', '409', '503'],
    ],
    [
      '/webhooks/{id}/recover',
      'post',
      ['webhook'],
      ['202', '400', '401', '403', '404', '409', '413', '415', '429', '503'],
    ],
    ['/webhooks/{id}/secret', 'post', ['webhook'], ['200', '401', '403', '404', '503']],
    ['/users/{userId}/data', 'delete', ['webhook'], ['200', '400', '401', '403', '503']],
    ['/events', 'get', ['webhook', 'webhook.readonly'], ['200', '401', '403']],
    ['/events/{name}', 'get', ['webhook', 'webhook.readonly'], ['200', '401', '403', '404']],
  ])('documents %s %s with its scopes and error responses', (path, method, scopes, statuses) => {
    const operation = document.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(operation.summary).toBeTruthy();
    expect(operation.security).toEqual([{ bearer: [] }, { oauth2: scopes }]);
    for (const status of statuses) expect(operation.responses).toHaveProperty(status);
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) >= 400) {
        expect(response.content?.['application/json']?.schema?.$ref).toBe(
          '#/components/schemas/ErrorResponse',
        );
      }
    }
  });

  it('documents health without security, with its schema', () => {
    const health = document.paths['/health'].get;
    expect(health.security).toBeUndefined();
    for (const status of ['200', '503']) {
      expect(health.responses[status].content?.['application/json']?.schema?.$ref).toBe(
        '#/components/schemas/Health',
      );
    }
  });

  it('documents the JWKS of a webhook without security, with its schema and the ErrorResponse 404', () => {
    const jwks = document.paths['/webhooks/{id}/jwks'].get;
    expect(jwks.security).toBeUndefined();
    expect(jwks.responses['200'].content?.['application/json']?.schema?.$ref).toBe(
      '#/components/schemas/WebhookJwks',
    );
    expect(jwks.responses['404'].content?.['application/json']?.schema?.$ref).toBe(
      '#/components/schemas/ErrorResponse',
    );
  });

  it('names the schemas as the API reference does', () => {
    for (const name of ['Webhook', 'WebhookDelivery', 'Event', 'User', 'ErrorResponse']) {
      expect(document.components.schemas).toHaveProperty(name);
    }
    const leaked = Object.keys(document.components.schemas).filter((name) =>
      /Dto$|Response$|Ref$/.test(name),
    );
    expect(leaked).toEqual(['ErrorResponse']);
  });

  it('describes every field of the Webhook and request schemas', () => {
    const webhook = document.components.schemas.Webhook.properties ?? {};
    expect(Object.keys(webhook).sort()).toEqual(
      [
        'active',
        'apiId',
        'createdAt',
        'custom',
        'deliveryHealth',
        'disabledReason',
        'events',
        'filter',
        'headers',
        'id',
        'lastDelivery',
        'ordering',
        'rateLimit',
        'secret',
        'signing',
        'updatedAt',
        'url',
        'user',
        'userId',
      ].sort(),
    );
    for (const name of [
      'Webhook',
      'WebhookCreate',
      'WebhookUpdate',
      'WebhookDelivery',
      'User',
      'ErrorResponse',
      'Event',
      'EventSubscription',
      'EventType',
      'QueuedDelivery',
      'RotatedSecret',
      'DeliveryAttempt',
      'DeliveryAttemptPage',
      'ErasureReport',
      'Health',
      'WebhookJwks',
      'Ed25519Jwk',
    ]) {
      const properties = document.components.schemas[name]?.properties ?? {};
      expect(Object.keys(properties).length).toBeGreaterThan(0);
      for (const [field, schema] of Object.entries(properties)) {
        expect({ schema: name, field, described: Boolean(schema.description) }).toEqual({
          schema: name,
          field,
          described: true,
        });
      }
    }
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await request(api.http).get('/docs').expect(200);
    expect(response.text).toContain('swagger');
  });
});
