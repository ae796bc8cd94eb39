import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

/** Custom headers per webhook (README → API → Webhook fields): rules, PUT replacing, redaction. */
describe('Webhook custom headers (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({});
  });
  afterAll(() => api.close());

  const owner = () => {
    const sub = `headers-${Math.random().toString(36).slice(2)}`;
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

  it('stores them, shows them to managers, and only the names to webhook.readonly', async () => {
    const { manager, viewer } = owner();
    const headers = { Authorization: 'Bearer s3cr3t', 'X-Team': 'platform ops' };
    const created = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ headers }))
      .expect(201);
    expect(created.body.headers).toEqual(headers);
    const id = created.body.id as string;
    expect((await request(api.http).get(`/webhooks/${id}`).set(manager).expect(200)).body.headers).toEqual(
      headers,
    );
    const masked = { Authorization: '••••', 'X-Team': '••••' };
    const one = await request(api.http).get(`/webhooks/${id}`).set(viewer).expect(200);
    expect(one.body.headers).toEqual(masked);
    const list = await request(api.http).get('/webhooks').set(viewer).expect(200);
    expect(list.body[0].headers).toEqual(masked);
    expect(JSON.stringify([one.body, list.body])).not.toContain('s3cr3t');
  });

  it('has none by default; PUT replaces the whole map, and null or {} clears it', async () => {
    const { manager } = owner();
    const created = await request(api.http).post('/webhooks').set(manager).send(body()).expect(201);
    expect(created.body.headers).toEqual({});
    const id = created.body.id as string;
    const put = (payload: object) => request(api.http).put(`/webhooks/${id}`).set(manager).send(payload);

    expect((await put({ headers: { 'X-A': '1', 'X-B': '2' } }).expect(200)).body.headers).toEqual({
      'X-A': '1',
      'X-B': '2',
    });
    expect((await put({ headers: { 'X-C': '3' } }).expect(200)).body.headers).toEqual({ 'X-C': '3' });
    // Absent: unchanged; a GET response sent back as it is changes nothing.
    const kept = await put({ active: true }).expect(200);
    expect(kept.body.headers).toEqual({ 'X-C': '3' });
    expect((await put(kept.body).expect(200)).body.headers).toEqual({ 'X-C': '3' });
    expect((await put({ headers: null }).expect(200)).body.headers).toEqual({});
    await put({ headers: { 'X-D': '4' } }).expect(200);
    expect((await put({ headers: {} }).expect(200)).body.headers).toEqual({});
  });

  it('refuses values shown masked to webhook.readonly, so a read-only copy cannot overwrite them', async () => {
    const { manager, viewer } = owner();
    const created = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ headers: { 'X-Key': 'k' } }))
      .expect(201);
    const seen = (await request(api.http).get(`/webhooks/${created.body.id}`).set(viewer)).body;
    const refused = await request(api.http).put(`/webhooks/${created.body.id}`).set(manager).send(seen);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'headers.X-Key' })]);
  });

  const many = (count: number) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-H${i}`, 'v']));
  const bad: Array<[string, unknown, string]> = [
    ['CR/LF in a value', { 'X-A': 'a\r\nX-Injected: 1' }, 'headers.X-A'],
    ['a tab around a value', { 'X-A': '\tv' }, 'headers.X-A'],
    ['NUL in a value', { 'X-A': 'a\u0000b' }, 'headers.X-A'],
    ['non-ASCII in a value', { 'X-A': 'café' }, 'headers.X-A'],
    ['an empty value', { 'X-A': '' }, 'headers.X-A'],
    ['a 10 KB value', { 'X-A': 'v'.repeat(10_240) }, 'headers.X-A'],
    ['a number value', { 'X-A': 5 }, 'headers.X-A'],
    ['a null value', { 'X-A': null }, 'headers.X-A'],
    ['an array value', { 'X-A': ['a', 'b'] }, 'headers.X-A'],
    ['an object value', { 'X-A': { b: 'c' } }, 'headers.X-A'],
    ['a name with a space', { 'X A': 'v' }, 'headers.X A'],
    ['a name with a colon', { 'X-A:': 'v' }, 'headers.X-A:'],
    ['a name with CR/LF', { 'X-A\r\nX-B': 'v' }, 'headers.X-A\r\nX-B'],
    ['a non-ASCII name', { 'X-Café': 'v' }, 'headers.X-Café'],
    ['an empty name', { '': 'v' }, 'headers.'],
    // Echoed names are cut at 64 characters (README → API → Requests and limits).
    ['a 65-character name', { ['X'.repeat(65)]: 'v' }, `headers.${'X'.repeat(64)}…`],
    ['the reserved Host', { Host: 'evil.example' }, 'headers.Host'],
    ['the reserved Content-Type', { 'Content-Type': 'text/plain' }, 'headers.Content-Type'],
    ['the reserved Content-Length', { 'content-length': '1' }, 'headers.content-length'],
    ['the reserved Transfer-Encoding', { 'Transfer-Encoding': 'chunked' }, 'headers.Transfer-Encoding'],
    ['the reserved Connection', { Connection: 'close' }, 'headers.Connection'],
    ['the reserved User-Agent', { 'User-Agent': 'x' }, 'headers.User-Agent'],
    ['a content-* name: Content-Encoding', { 'Content-Encoding': 'gzip' }, 'headers.Content-Encoding'],
    ['a content-* name: Content-MD5', { 'Content-MD5': 'Q2hlY2s=' }, 'headers.Content-MD5'],
    ['x-apitree itself', { 'x-apitree': 'x' }, 'headers.x-apitree'],
    ['webhook itself', { Webhook: 'x' }, 'headers.Webhook'],
    ['a webhook-* name', { 'Webhook-Signature': 'v1,x' }, 'headers.Webhook-Signature'],
    ['an x-apitree-* name', { 'X-ApiTree-Event': 'x' }, 'headers.X-ApiTree-Event'],
    ['duplicate names differing in case', { 'X-Key': 'a', 'x-key': 'b' }, 'headers.x-key'],
    ['21 headers', many(21), 'headers'],
    ['over 8 KiB in all', bigTotal(), 'headers'],
    ['an array', ['X-A', 'v'], 'headers'],
    ['a string', 'X-A: v', 'headers'],
    ['a number', 5, 'headers'],
    ['__proto__', JSON.parse('{"__proto__": {"X-A": "v"}}'), 'headers.__proto__'],
    ['constructor', { constructor: 'v' }, 'headers.constructor'],
  ];

  function bigTotal(): Record<string, string> {
    return Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`X-H${i}`, 'v'.repeat(1000)]));
  }

  it.each(bad)('refuses %s with a 400 naming the header, on POST and PUT', async (_title, headers, field) => {
    const { manager } = owner();
    const refused = await request(api.http).post('/webhooks').set(manager).send(body({ headers }));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 400, message: expect.any(String) });
    expect(refused.body.errors).toEqual([expect.objectContaining({ field })]);
    expect((await request(api.http).get('/webhooks').set(manager).expect(200)).body).toEqual([]);

    const created = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ headers: { 'X-Ok': 'yes' } }))
      .expect(201);
    const put = await request(api.http).put(`/webhooks/${created.body.id}`).set(manager).send({ headers });
    expect(put.status).toBe(400);
    expect(put.body.errors).toEqual([expect.objectContaining({ field })]);
    const after = await request(api.http).get(`/webhooks/${created.body.id}`).set(manager).expect(200);
    expect(after.body.headers).toEqual({ 'X-Ok': 'yes' });
  });

  it('accepts the limits: 20 headers, a 64-character name, 1,000-character values, 8 KiB in all', async () => {
    const { manager } = owner();
    const headers = {
      ...Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`X-H${i}`, 'v'.repeat(i < 7 ? 1000 : 1)])),
      ['X'.repeat(64)]: "!#$%&'*+-.^_`|~ inside",
    };
    const created = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ headers }))
      .expect(201);
    expect(created.body.headers).toEqual(headers);
  });

  it('names a token-case name as sent and lists every bad header of one request', async () => {
    const { manager } = owner();
    const refused = await request(api.http)
      .post('/webhooks')
      .set(manager)
      .send(body({ headers: { Host: 'x', 'X-Ok': 'v', 'X-Bad': 'a\nb' } }))
      .expect(400);
    expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual([
      'headers.Host',
      'headers.X-Bad',
    ]);
  });
});
