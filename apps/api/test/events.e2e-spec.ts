import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { EVENT_CATALOG } from '@app/events';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const SPEC_EVENTS = [
  'api.created',
  'api.updated',
  'api.deleted',
  'release.created',
  'release.released',
  'release.deprecated',
  'plan.created',
  'plan.subscribed',
  'plan.unsubscribed',
  'user.created',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.disabled',
  'webhook.failing',
  'webhook.recovered',
  'webhook.paused',
  'webhook.resumed',
  'delivery.exhausted',
  'webhook.ping',
];

describe('GET /events (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it('serves the event catalog from its one definition, to either scope', async () => {
    for (const scope of ['webhook', 'webhook.readonly']) {
      const response = await request(api.http)
        .get('/events')
        .set(bearer(mintToken({ scope })))
        .expect(200);
      expect(response.body.map((entry: { name: string }) => entry.name)).toEqual(SPEC_EVENTS);
      expect(response.body).toHaveLength(EVENT_CATALOG.length);
      for (const entry of response.body) {
        expect(Object.keys(entry).sort()).toEqual([
          'description',
          'example',
          'name',
          'resourceType',
          'schema',
        ]);
        expect(entry.description.length).toBeGreaterThan(5);
      }
    }
  });

  it('needs a scope', async () => {
    await request(api.http)
      .get('/events')
      .set(bearer(mintToken({ scope: 'other' })))
      .expect(403);
  });

  it('gives each event a draft-07 JSON Schema of its delivered body and an example that validates', async () => {
    const response = await request(api.http)
      .get('/events')
      .set(bearer(mintToken({ scope: 'webhook.readonly' })))
      .expect(200);
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    addFormats(ajv);
    for (const entry of response.body) {
      expect(entry.schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(entry.example).toMatchObject({ name: entry.name, resourceType: entry.resourceType });
      const validate = ajv.compile(entry.schema);
      expect([entry.name, validate(entry.example), validate.errors]).toEqual([entry.name, true, null]);
      // The schema says something: another event's name, or a resource without its id, is refused.
      expect(validate({ ...entry.example, name: 'other.event' })).toBe(false);
      expect(validate({ ...entry.example, resource: {} })).toBe(false);
    }
  });

  it('GET /events/{name}: one entry, to either scope', async () => {
    const list = await request(api.http)
      .get('/events')
      .set(bearer(mintToken({ scope: 'webhook' })));
    for (const scope of ['webhook', 'webhook.readonly']) {
      const response = await request(api.http)
        .get('/events/webhook.created')
        .set(bearer(mintToken({ scope })))
        .expect(200);
      expect(response.body).toEqual(
        list.body.find((entry: { name: string }) => entry.name === 'webhook.created'),
      );
    }
  });

  it.each([
    ['an unknown name', 'api.exploded'],
    ['a NUL', '%00'],
    ['a dot-dot segment', '..%2F..%2Fetc'],
    ['300 characters', 'a'.repeat(300)],
    ['constructor', 'constructor'],
    ['__proto__', '__proto__'],
    ['a prefix of a name', 'api'],
  ])('GET /events/{name} with %s: 404 {code, message}', async (_label, name) => {
    const response = await request(api.http)
      .get(`/events/${name}`)
      .set(bearer(mintToken({ scope: 'webhook.readonly' })))
      .expect(404);
    expect(response.body).toEqual({ code: 404, message: 'Event not found' });
  });

  it.each([
    ['a dot-dot path', '..'],
    ['broken percent-encoding', '%E0%A4%A'],
    ['a lone %', '%'],
    ['5,000 characters', 'a'.repeat(5000)],
  ])('GET /events/{name} with %s is never a 500 and keeps the error shape', async (_label, name) => {
    const response = await request(api.http)
      .get(`/events/${name}`)
      .set(bearer(mintToken({ scope: 'webhook.readonly' })));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.body).toEqual({ code: response.status, message: expect.any(String) });
  });
});
