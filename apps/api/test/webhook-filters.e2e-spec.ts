import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

/** Payload filters (README → Payload filters): the field's rules, PUT replacing, who sees it. */
describe('Webhook payload filters (e2e)', () => {
  let api: TestApi;
  let dataSource: DataSource;
  beforeAll(async () => {
    api = await createTestApi({});
    dataSource = api.app.get(DataSource);
  });
  afterAll(() => api.close());

  const owner = () => {
    const sub = `filters-${Math.random().toString(36).slice(2)}`;
    return {
      manager: bearer(mintToken({ sub, scope: 'webhook' })),
      viewer: bearer(mintToken({ sub, scope: 'webhook.readonly' })),
    };
  };
  const body = (extra: object = {}) => ({
    url: 'https://example.com/hook',
    events: [{ name: 'api.created' }],
    ...extra,
  });
  const stored = async (id: string) =>
    (await dataSource.query<Array<{ filter: unknown }>>('SELECT filter FROM webhooks WHERE id = $1', [id]))[0]
      .filter;

  const good: Array<[string, Record<string, unknown>]> = [
    ['an object in the resource', { resource: { visibility: 'public' } }],
    ['nested objects and arrays', { resource: { tags: ['a', 'b'], owner: { team: 'platform' } } }],
    ['top-level scalars', { resourceType: 'Api', apiId: '5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b' }],
    ['numbers, booleans and null', { resource: { version: 2, beta: false, deprecatedAt: null } }],
    ['an array of objects', { resource: { plans: [{ name: 'Basic' }] } }],
    ['unicode', { user: { nickname: 'Zoë 😀' } }],
    ['five levels', { resource: { a: { b: { c: { d: 1 } } } } }],
  ];

  it.each(good)('accepts %s, stores it as jsonb and shows it as it was sent', async (_title, filter) => {
    const { manager, viewer } = owner();
    const created = await request(api.http).post('/webhooks').set(manager).send(body({ filter })).expect(201);
    expect(created.body.filter).toEqual(filter);
    expect(await stored(created.body.id)).toEqual(filter);
    // webhook.readonly sees it whole: a filter holds no credential.
    const seen = await request(api.http).get(`/webhooks/${created.body.id}`).set(viewer).expect(200);
    expect(seen.body.filter).toEqual(filter);
    const list = await request(api.http).get('/webhooks').set(viewer).expect(200);
    expect(list.body[0].filter).toEqual(filter);
  });

  it('is null by default; PUT replaces it, keeps it when absent, and null or {} removes it', async () => {
    const { manager } = owner();
    const created = await request(api.http).post('/webhooks').set(manager).send(body()).expect(201);
    expect(created.body.filter).toBeNull();
    const id = created.body.id as string;
    const put = (payload: object) => request(api.http).put(`/webhooks/${id}`).set(manager).send(payload);

    const first = { resource: { visibility: 'public', tags: ['a'] } };
    expect((await put({ filter: first }).expect(200)).body.filter).toEqual(first);
    // Replaced whole, not merged.
    const second = { resourceType: 'Api' };
    expect((await put({ filter: second }).expect(200)).body.filter).toEqual(second);
    // Absent: unchanged; a GET response sent back as it is changes nothing.
    const kept = await put({ active: true }).expect(200);
    expect(kept.body.filter).toEqual(second);
    expect((await put(kept.body).expect(200)).body.filter).toEqual(second);
    expect((await put({ filter: null }).expect(200)).body.filter).toBeNull();
    expect(await stored(id)).toBeNull();
    await put({ filter: second }).expect(200);
    expect((await put({ filter: {} }).expect(200)).body.filter).toBeNull();
    expect(await stored(id)).toBeNull();
    // POST with {} is no filter either.
    const empty = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ filter: {} }))
      .expect(201);
    expect(empty.body.filter).toBeNull();
  });

  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { d: 1 };
    for (let level = 1; level < levels - 1; level += 1) value = { n: value };
    return { resource: value };
  };
  const bad: Array<[string, unknown, string]> = [
    ['an array', [{ resource: { visibility: 'public' } }], 'filter'],
    ['a string', '{"resource":{"visibility":"public"}}', 'filter'],
    ['a number', 5, 'filter'],
    ['a boolean', true, 'filter'],
    ['six levels deep', nested(6), 'filter'],
    ['over 4 KiB', { resource: { name: 'x'.repeat(4100) } }, 'filter'],
    [
      '51 keys',
      { resource: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) },
      'filter',
    ],
    ['NUL in a value', { resource: { name: 'a\u0000b' } }, 'filter.resource.name'],
    ['NUL in a key', { resource: { 'a\u0000b': 1 } }, 'filter.resource.?'],
    ['a lone surrogate', { resource: { name: '\ud800' } }, 'filter.resource.name'],
    ['a key that is not an Event field', { visibility: 'public' }, 'filter.visibility'],
    ['__proto__', JSON.parse('{"resource": {"__proto__": {"polluted": true}}}'), 'filter.resource.__proto__'],
    ['constructor', { resource: { constructor: { name: 'Object' } } }, 'filter.resource.constructor'],
  ];

  it.each(bad)('refuses %s with a 400 naming the field, on POST and PUT', async (_title, filter, field) => {
    const { manager } = owner();
    const refused = await request(api.http).post('/webhooks').set(manager).send(body({ filter }));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 400, message: expect.any(String) });
    expect(refused.body.errors).toEqual([expect.objectContaining({ field })]);
    expect((await request(api.http).get('/webhooks').set(manager).expect(200)).body).toEqual([]);

    const kept = { resource: { visibility: 'public' } };
    const created = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ filter: kept }))
      .expect(201);
    const put = await request(api.http).put(`/webhooks/${created.body.id}`).set(manager).send({ filter });
    expect(put.status).toBe(400);
    expect(put.body.errors).toEqual([expect.objectContaining({ field })]);
    expect(await stored(created.body.id)).toEqual(kept);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a 5,000-level filter as a 400, never a 500', async () => {
    const { manager } = owner();
    const deep = `${'{"resource":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const refused = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .set('content-type', 'application/json')
      .send(`{"url":"https://example.com/hook","events":[{"name":"api.created"}],"filter":${deep}}`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe(400);
  });

  it('documents the field in OpenAPI, and the create example with a filter succeeds as it is', async () => {
    const document = (await request(api.http).get('/openapi.json').expect(200)).body;
    const schemas = document.components.schemas;
    for (const name of ['Webhook', 'WebhookCreate', 'WebhookUpdate']) {
      expect(schemas[name].properties.filter).toMatchObject({ type: 'object', nullable: true });
      expect(schemas[name].properties.filter.description).toContain('@>');
    }
    const example = document.paths['/webhooks'].post.requestBody.content['application/json'].examples.filtered
      .value as { filter: unknown };
    const { manager } = owner();
    const created = await request(api.http).post('/webhooks').set(manager).send(example).expect(201);
    expect(created.body.filter).toEqual({ resource: { visibility: 'public' } });
    expect(created.body.filter).toEqual(example.filter);
  });

  it('accepts the limits: 5 levels, 50 keys, 4 KiB', async () => {
    const { manager } = owner();
    const filter = {
      resource: {
        ...Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`k${i}`, i])),
        text: 'x'.repeat(3600),
        deep: { a: { b: { c: 'd' } } },
      },
    };
    expect(Buffer.byteLength(JSON.stringify(filter))).toBeLessThanOrEqual(4096);
    const created = await request(api.http).post('/webhooks').set(manager).send(body({ filter })).expect(201);
    expect(created.body.filter).toEqual(filter);
  });
});
