import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { EVENT_NAMES } from '@app/events';
import { mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';
import { BODY_ROUTES } from '../src/common/body-parsing';

// CommonJS without typings of its default export.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OpenAPISchemaValidator = require('openapi-schema-validator').default as new (options: {
  version: string;
}) => { validate(document: object): { errors: unknown[] } };

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { examples?: Record<string, { value: Json }> }> };
  responses: Record<string, { content?: Record<string, { example?: unknown; examples?: unknown }> }>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  callbacks?: Record<string, Record<string, { post: Operation }>>;
}
interface Document extends Json {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Json>; schemas: Record<string, Json> };
}

/**
 * An OpenAPI 3.0.3 schema as the JSON Schema it means, read strictly: `nullable` adds null only to a
 * `type` stated beside it (an `enum` must list null itself, a reference is never null by it);
 * references point into `components`.
 */
function asJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const schema: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    schema[key] = key === 'example' || key === 'examples' ? value : asJsonSchema(value);
  }
  if (typeof schema.$ref === 'string')
    schema.$ref = schema.$ref.replace('#/components/schemas/', 'components#/$defs/');
  if (schema.nullable !== true) return schema;
  delete schema.nullable;
  if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  return schema;
}

/** Every example of the document with the schema it illustrates, named by where it is. */
function examplesWithSchemas(node: unknown, at: string, found: Array<[string, unknown, unknown]>): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((item, index) => examplesWithSchemas(item, `${at}/${index}`, found));
    return;
  }
  const object = node as Json;
  // A media type or a parameter carries `schema`; a schema carries its own `example`.
  const schema = 'schema' in object ? object.schema : object;
  if ('example' in object) found.push([`${at}/example`, object.example, schema]);
  if ('examples' in object && 'schema' in object) {
    for (const [name, example] of Object.entries(object.examples as Record<string, { value: unknown }>)) {
      found.push([`${at}/examples/${name}`, example.value, schema]);
    }
  }
  for (const [key, value] of Object.entries(object)) {
    if (key === 'properties' && value !== null && typeof value === 'object') {
      // A map of property names: one named `schema` or `example` is a property, not a media type's field.
      for (const [name, property] of Object.entries(value as Json)) {
        examplesWithSchemas(property, `${at}/properties/${name}`, found);
      }
    } else if (key !== 'example' && key !== 'examples') examplesWithSchemas(value, `${at}/${key}`, found);
  }
}

describe('OpenAPI document: usable as it is (e2e)', () => {
  let api: TestApi;
  let document: Document;

  beforeAll(async () => {
    api = await createTestApi();
    document = (await request(api.http).get('/openapi.json').expect(200)).body as Document;
  });
  afterAll(() => api.close());

  it('is a valid OpenAPI 3 document (lint)', () => {
    expect(document.openapi).toMatch(/^3\.0\./);
    const { errors } = new OpenAPISchemaValidator({ version: document.openapi }).validate(document);
    expect(errors).toEqual([]);
  });

  it('has examples that validate against their own schemas', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'components', $defs: asJsonSchema(document.components.schemas) });
    const found: Array<[string, unknown, unknown]> = [];
    examplesWithSchemas(document.paths, '#/paths', found);
    examplesWithSchemas(document.components.schemas, '#/components/schemas', found);
    expect(found.length).toBeGreaterThan(100);
    const invalid = found.flatMap(([where, example, schema]) => {
      const check = ajv.compile(asJsonSchema(schema) as Json);
      return check(example) ? [] : [{ where, example, errors: check.errors }];
    });
    expect(invalid).toEqual([]);
  });

  it('names the delivered body Event, the subscription item EventSubscription, the catalog entry EventType', () => {
    const { schemas } = document.components;
    for (const name of ['Webhook', 'WebhookDelivery', 'User', 'ErrorResponse'])
      expect(schemas).toHaveProperty(name);
    const event = schemas.Event as { properties: Json; required: string[] };
    expect(Object.keys(event.properties).sort()).toEqual(
      ['id', 'name', 'timestamp', 'user', 'resourceType', 'resource', 'apiId', 'ownerId'].sort(),
    );
    expect([...event.required].sort()).toEqual(
      ['id', 'name', 'timestamp', 'user', 'resourceType', 'resource'].sort(),
    );
    const webhookEvents = (schemas.Webhook as { properties: Record<string, { items?: Json }> }).properties
      .events;
    expect(webhookEvents.items).toEqual({ $ref: '#/components/schemas/EventSubscription' });
    expect(Object.keys((schemas.EventSubscription as { properties: Json }).properties)).toEqual(['name']);
    const catalog = document.paths['/events'].get.responses['200'].content?.['application/json'] as {
      schema: { items: Json };
    };
    expect(catalog.schema.items).toEqual({ $ref: '#/components/schemas/EventType' });
    const delivered = Object.values(document.paths['/webhooks'].post.callbacks ?? {}).map(
      (callback) =>
        (
          callback['{$request.body#/url}'].post.requestBody?.content['application/json'] as {
            schema: { allOf: Json[] };
          }
        ).schema.allOf[0],
    );
    expect(new Set(delivered.map((schema) => JSON.stringify(schema)))).toEqual(
      new Set([JSON.stringify({ $ref: '#/components/schemas/Event' })]),
    );
  });

  it('gives every operation a stable operationId, unique and free of class names', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        route: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );
    const ids = Object.fromEntries(operations.map(({ route, operation }) => [route, operation.operationId]));
    // Generated clients name their methods after these: renaming one breaks them.
    expect(ids).toEqual({
      'GET /webhooks': 'listWebhooks',
      'POST /webhooks': 'createWebhook',
      'GET /webhooks/{id}': 'getWebhook',
      'PUT /webhooks/{id}': 'updateWebhook',
      'DELETE /webhooks/{id}': 'deleteWebhook',
      'POST /webhooks/{id}/ping': 'pingWebhook',
      'POST /webhooks/{id}/secret': 'rotateSecret',
      'GET /webhooks/{id}/deliveries': 'listDeliveries',
      'GET /webhooks/{id}/deliveries/{attemptId}': 'getDelivery',
      'POST /webhooks/{id}/deliveries/{deliveryId}/redeliver': 'redeliver',
      'GET /webhooks/{id}/stats': 'getDeliveryStats',
      'POST /webhooks/{id}/recover': 'recoverDeliveries',
      'GET /webhooks/{id}/jwks': 'getWebhookJwks',
      'DELETE /users/{userId}/data': 'eraseUserData',
      'GET /events': 'listEvents',
      'GET /events/{name}': 'getEvent',
      'GET /health': 'getHealth',
      'GET /metrics': 'getMetrics',
      'POST /portal/sessions': 'createPortalSession',
    });
    const callbackIds = Object.values(document.paths['/webhooks'].post.callbacks ?? {}).map(
      (callback) => callback['{$request.body#/url}'].post.operationId,
    );
    const all = [...Object.values(ids), ...callbackIds];
    expect(all.filter((id) => !id || id.includes('Controller'))).toEqual([]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('documents the 401 of /metrics (METRICS_TOKEN) as an ErrorResponse, its header optional', () => {
    const scrape = document.paths['/metrics'].get;
    expect(Object.keys(scrape.responses).sort()).toEqual(['200', '401']);
    expect(scrape.responses['401'].content?.['application/json']).toMatchObject({
      schema: { $ref: '#/components/schemas/ErrorResponse' },
      example: { code: 401, message: 'Access denied' },
    });
    expect(scrape.parameters).toEqual([
      expect.objectContaining({ in: 'header', name: 'authorization', required: false }),
    ]);
  });

  it('types every number as an integer (statuses, counts, milliseconds), ErrorResponse.code included', () => {
    expect((document.components.schemas.ErrorResponse.properties as Record<string, Json>).code.type).toBe(
      'integer',
    );
    const fractional = Object.entries(document.components.schemas).flatMap(([name, schema]) =>
      Object.entries((schema.properties ?? {}) as Record<string, Json>)
        .filter(
          ([, field]) => field.type === 'number' || (field.items as Json | undefined)?.type === 'number',
        )
        .map(([field]) => `${name}.${field}`),
    );
    expect(fractional).toEqual([]);
  });

  it('types no field as a bare object (a `string | null` field reflects as Object)', () => {
    const bare = Object.entries(document.components.schemas).flatMap(([name, schema]) =>
      Object.entries((schema.properties ?? {}) as Record<string, Json>)
        .filter(
          ([, field]) =>
            field.type === 'object' && !field.properties && !field.allOf && !field.additionalProperties,
        )
        .map(([field]) => `${name}.${field}`),
    );
    expect(bare).toEqual([]);
  });

  it('gives every error response its own example, whose code is its status', () => {
    const wrong: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400 || path === '/health') continue;
          const media = response.content?.['application/json'];
          const examples = media?.examples
            ? Object.values(media.examples as Record<string, { value: { code: number } }>).map((e) => e.value)
            : [media?.example as { code: number } | undefined];
          for (const example of examples) {
            if (example?.code !== Number(status)) wrong.push(`${method} ${path} ${status}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('documents a request body exactly where the API reads one (BODY_ROUTES)', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(BODY_ROUTES.map(({ method, path }) => `${method} ${path}`).sort());
  });

  it('lists 413 and 415 only where a request body is taken', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const takesBody = operation.requestBody !== undefined;
        expect({ path, method, 413: '413' in operation.responses }).toEqual({ path, method, 413: takesBody });
        expect({ path, method, 415: '415' in operation.responses }).toEqual({ path, method, 415: takesBody });
      }
    }
  });

  it('describes the delivery of every event of the catalog as a callback of POST /webhooks', () => {
    const callbacks = document.paths['/webhooks'].post.callbacks ?? {};
    expect(Object.keys(callbacks).sort()).toEqual([...EVENT_NAMES].sort());
    for (const callback of Object.values(callbacks)) {
      const { post } = callback['{$request.body#/url}'];
      expect(post.parameters?.filter((p) => p.in === 'header').map((p) => p.name)).toEqual(
        expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
      );
    }
  });

  it('declares a bearer JWT scheme and the Auth-API password flow, with the scopes', () => {
    const { bearer, oauth2 } = document.components.securitySchemes;
    expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(oauth2).toMatchObject({
      type: 'oauth2',
      flows: { password: { tokenUrl: 'https://auth-api.apitree.com/oauth2/token' } },
    });
    expect(document.paths['/webhooks'].post.security).toEqual([{ bearer: [] }, { oauth2: ['webhook'] }]);
  });

  it('sends the create and update examples, with a pasted token, and they succeed', async () => {
    const scheme = document.components.securitySchemes.bearer as { scheme: string };
    const pasted = {
      Authorization: `${scheme.scheme[0].toUpperCase()}${scheme.scheme.slice(1)} ${mintToken()}`,
    };
    const example = (operation: Operation) =>
      Object.values(operation.requestBody?.content['application/json'].examples ?? {})[0]?.value;

    const create = example(document.paths['/webhooks'].post);
    expect(create).toBeDefined();
    const created = await request(api.http).post('/webhooks').set(pasted).send(create);
    expect({ status: created.status, body: created.body as unknown }).toMatchObject({ status: 201 });

    const update = example(document.paths['/webhooks/{id}'].put);
    expect(update).toBeDefined();
    const updated = await request(api.http)
      .put(`/webhooks/${(created.body as { id: string }).id}`)
      .set(pasted)
      .send(update);
    expect({ status: updated.status, body: updated.body as unknown }).toMatchObject({ status: 200 });

    // Its window is relative to when the document was served: a fixed date would leave
    // DELIVERY_LOG_RETENTION and be a 400. (The update example deactivates, so a webhook of its own.)
    const recover = example(document.paths['/webhooks/{id}/recover'].post);
    expect(recover).toMatchObject({ since: expect.any(String), until: expect.any(String) });
    const active = await request(api.http).post('/webhooks').set(pasted).send(create).expect(201);
    const recovered = await request(api.http)
      .post(`/webhooks/${(active.body as { id: string }).id}/recover`)
      .set(pasted)
      .send(recover);
    expect({ status: recovered.status, body: recovered.body as unknown }).toEqual({
      status: 202,
      body: { deliveries: 0 },
    });
  });

  it('computes the recover example each time the document is served, within DELIVERY_LOG_RETENTION', async () => {
    const other = await createTestApi({ DELIVERY_LOG_RETENTION: '2h' });
    try {
      const served = async () => {
        const body = (await request(other.http).get('/openapi.json').expect(200)).body as Document;
        const media = body.paths['/webhooks/{id}/recover'].post.requestBody?.content['application/json'];
        return media?.examples?.window.value as { since: string; until: string };
      };
      const before = Date.now();
      const first = await served();
      // An hour: half the retention, ending at the time it was served (whole seconds).
      expect(Date.parse(first.until)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(Date.parse(first.until) - Date.parse(first.since)).toBe(3_600_000);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const second = await served();
      expect(Date.parse(second.until)).toBeGreaterThan(Date.parse(first.until));
    } finally {
      await other.close();
    }
  });

  it('names the token URL from AUTH_API_TOKEN_URL', async () => {
    const other = await createTestApi({ AUTH_API_TOKEN_URL: 'http://auth.example.test/oauth2/token' });
    try {
      const body = (await request(other.http).get('/openapi.json').expect(200)).body as Document;
      expect(body.components.securitySchemes.oauth2).toMatchObject({
        flows: { password: { tokenUrl: 'http://auth.example.test/oauth2/token' } },
      });
    } finally {
      await other.close();
    }
  });
});
