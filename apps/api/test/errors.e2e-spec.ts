import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const VALID = { url: 'https://hooks.example.com/in', events: [{ name: 'api.created' }] };

describe('Bad input never changes anything and never 500s (e2e)', () => {
  let api: TestApi;
  let sub: string;
  let auth: { Authorization: string };

  beforeAll(async () => {
    api = await createTestApi();
    sub = `bad-input-${Date.now()}`;
    auth = bearer(mintToken({ sub, orgs: ['org-1'] }));
  });
  afterAll(async () => {
    // Nothing any bad request sent may have been created.
    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body).toEqual([]);
    await api.close();
  });

  const post = (body: unknown) =>
    request(api.http)
      .post('/webhooks')
      .set(auth)
      .send(body as object);

  it('answers 9,000 unknown fields with 20 of them listed and how many more, not a 690 KB error', async () => {
    const body: Record<string, unknown> = { ...VALID };
    for (let i = 0; i < 9_000; i += 1) body[`x${i}`] = 1;
    const response = await post(body).expect(400);
    expect(response.body.code).toBe(400);
    expect(response.body.errors).toHaveLength(20);
    expect(response.body.message).toMatch(/; and 8980 more$/);
    expect(response.text.length).toBeLessThan(5_000);
  });

  it.each([
    ['url longer than 1000 characters', { ...VALID, url: `https://example.com/${'a'.repeat(1000)}` }, 'url'],
    ['ftp scheme', { ...VALID, url: 'ftp://example.com/hook' }, 'url'],
    ['javascript scheme', { ...VALID, url: 'javascript:alert(1)' }, 'url'],
    ['relative URL', { ...VALID, url: '/hooks/in' }, 'url'],
    ['URL without scheme', { ...VALID, url: 'example.com/hook' }, 'url'],
    ['URL with userinfo', { ...VALID, url: 'https://user:secret@example.com/hook' }, 'url'],
    ['URL with a space', { ...VALID, url: 'https://example.com/a b' }, 'url'],
    ['url not a string', { ...VALID, url: 42 }, 'url'],
    ['missing url', { events: VALID.events }, 'url'],
    ['loopback URL', { ...VALID, url: 'http://127.0.0.1:8080/' }, 'url'],
    ['octal loopback URL', { ...VALID, url: 'http://0177.0.0.1/' }, 'url'],
    ['decimal loopback URL', { ...VALID, url: 'http://2130706433/' }, 'url'],
    ['IPv4-mapped IPv6 loopback', { ...VALID, url: 'http://[::ffff:127.0.0.1]/' }, 'url'],
    ['cloud metadata address', { ...VALID, url: 'http://169.254.169.254/latest/meta-data' }, 'url'],
    ['private network URL', { ...VALID, url: 'https://10.1.2.3/hook' }, 'url'],
    ['localhost', { ...VALID, url: 'http://localhost:3000/' }, 'url'],
    ['empty events', { ...VALID, events: [] }, 'events'],
    ['events not an array', { ...VALID, events: 'api.created' }, 'events'],
    ['missing events', { url: VALID.url }, 'events'],
    ['unknown event name', { ...VALID, events: [{ name: 'api.exploded' }] }, 'events.0.name'],
    ['event given as a string', { ...VALID, events: ['api.created'] }, 'events.0'],
    [
      'duplicate event names',
      { ...VALID, events: [{ name: 'api.created' }, { name: 'api.created' }] },
      'events',
    ],
    ['webhook.ping subscribed', { ...VALID, events: [{ name: 'webhook.ping' }] }, 'events.0.name'],
    ['custom that is not JSON', { ...VALID, custom: '{not json' }, 'custom'],
    ['custom over 10,000 characters', { ...VALID, custom: JSON.stringify('x'.repeat(10_000)) }, 'custom'],
    ['custom that is an object', { ...VALID, custom: { a: 1 } }, 'custom'],
    ['apiId not a UUID', { ...VALID, apiId: 'api-123' }, 'apiId'],
    ['apiId a v1 UUID', { ...VALID, apiId: 'a8098c1a-f86e-11da-bd1a-00112444be1e' }, 'apiId'],
    ['active not a boolean', { ...VALID, active: 'true' }, 'active'],
    ['userId empty', { ...VALID, userId: '' }, 'userId'],
    ['unknown field', { ...VALID, colour: 'red' }, 'colour'],
    ['unknown nested field', { ...VALID, events: [{ name: 'api.created', extra: 1 }] }, 'events.0.extra'],
  ])('%s → 400 naming the field', async (_name, body, field) => {
    const response = await post(body).expect(400);
    expect(response.body.code).toBe(400);
    expect(typeof response.body.message).toBe('string');
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(response.body.message).toContain(field.split('.')[0]);
  });

  it('userId neither the caller nor one of the orgs → 403', async () => {
    await post({ ...VALID, userId: 'org-2' }).expect(403);
  });

  it.each([
    ['a JSON array', [VALID]],
    ['a JSON string', '"hello"'],
    ['null', 'null'],
  ])('a body that is %s → 400', async (_name, body) => {
    const response = await request(api.http)
      .post('/webhooks')
      .set(auth)
      .set('content-type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body))
      .expect(400);
    expect(response.body.code).toBe(400);
  });

  it('no body at all → 400', async () => {
    const response = await request(api.http).post('/webhooks').set(auth).expect(400);
    expect(response.body.code).toBe(400);
  });

  it('malformed JSON → 400 {code, message}', async () => {
    const response = await request(api.http)
      .post('/webhooks')
      .set(auth)
      .set('content-type', 'application/json')
      .send('{"url": "https://x.example/", ')
      .expect(400);
    expect(response.body).toEqual({ code: 400, message: 'Malformed JSON in request body' });
  });

  it('wrong content type → 415', async () => {
    const response = await request(api.http)
      .post('/webhooks')
      .set(auth)
      .set('content-type', 'text/plain')
      .send(JSON.stringify(VALID))
      .expect(415);
    expect(response.body).toEqual({ code: 415, message: expect.any(String) });
    await request(api.http)
      .post('/webhooks')
      .set(auth)
      .type('form')
      .send('url=https://x.example/')
      .expect(415);
  });

  it('body over 100 KiB → 413', async () => {
    const response = await post({ ...VALID, custom: JSON.stringify('x'.repeat(110 * 1024)) }).expect(413);
    expect(response.body).toEqual({ code: 413, message: expect.any(String) });
  });

  it('a body just under 100 KiB is parsed (and then validated)', async () => {
    const response = await post({ ...VALID, custom: JSON.stringify('x'.repeat(90 * 1024)) }).expect(400);
    expect(response.body.errors[0].field).toBe('custom');
  });

  it('unsupported charset → 415', async () => {
    await request(api.http)
      .post('/webhooks')
      .set(auth)
      .set('content-type', 'application/json; charset=klingon')
      .send(JSON.stringify(VALID))
      .expect(415);
  });

  it('unknown routes and methods → 404 {code, message}', async () => {
    const unknown = await request(api.http).get('/nope').set(auth).expect(404);
    expect(unknown.body).toEqual({ code: 404, message: expect.any(String) });
    const method = await request(api.http).patch('/webhooks').set(auth).expect(404);
    expect(method.body.code).toBe(404);
  });

  it('hostile query strings are 400 or ignored, never 500', async () => {
    await request(api.http).get('/webhooks?apiId[]=a&apiId[]=b').set(auth).expect(400);
    await request(api.http).get("/webhooks?userId=' OR 1=1 --").set(auth).expect(200, []);
    await request(api.http).get('/webhooks?eventName=%00').set(auth).expect(400);
    await request(api.http).get('/webhooks?unknown=1').set(auth).expect(400);
  });

  it('NUL bytes and control characters are refused, never a 500', async () => {
    await request(api.http).get('/webhooks?userId=a%00b').set(auth).expect(400);
    const nulOrg = bearer(mintToken({ sub, orgs: ['org\u0000x'] }));
    await request(api.http)
      .post('/webhooks')
      .set(nulOrg)
      .send({ ...VALID, userId: 'org\u0000x' })
      .expect(400);
    await request(api.http)
      .get('/webhooks')
      .set(bearer(mintToken({ sub: 'a\u0000b' })))
      .expect(401);
    await post({ ...VALID, custom: '"a\u0000"' }).expect(400);
  });

  it('a nickname with control characters is cleaned, not stored raw', async () => {
    const other = bearer(mintToken({ nickname: 'evil\u0000\nname' }));
    const created = await request(api.http).post('/webhooks').set(other).send(VALID).expect(201);
    expect(created.body.user.nickname).toBe('evilname');
  });
});

describe('A private receiver URL is refused with what to do about it (e2e)', () => {
  const auth = bearer(mintToken({ sub: `private-url-${Date.now()}` }));
  const HINT = 'for local development set DELIVERY_ALLOW_PRIVATE_NETWORKS=true';

  it.each([
    ['http://localhost:4000/hook', 'is loopback'],
    ['http://127.0.0.1:4000/hook', '127.0.0.1 is loopback'],
    ['https://10.1.2.3/hook', '10.1.2.3 is private'],
    ['http://[::1]:8080/x', '::1 is loopback'],
    ['http://[::]/hook', ':: is unspecified'],
  ])('outside production the 400 for %s names the switch', async (url, detail) => {
    const api = await createTestApi({ NODE_ENV: 'development' });
    try {
      const response = await request(api.http)
        .post('/webhooks')
        .set(auth)
        .send({ ...VALID, url })
        .expect(400);
      expect(response.body.message).toContain(detail);
      expect(response.body.message).toMatch(
        new RegExp(`^url must not point at a private network address \\(.*\\); ${HINT}$`),
      );
      expect(response.body.errors).toEqual([{ field: 'url', message: response.body.message }]);
    } finally {
      await api.close();
    }
  });

  it('in production the 400 keeps the reason and leaves the switch unmentioned', async () => {
    const api = await createTestApi({ NODE_ENV: 'production' });
    try {
      const response = await request(api.http)
        .post('/webhooks')
        .set(auth)
        .send({ ...VALID, url: 'http://127.0.0.1:4000/hook' })
        .expect(400);
      expect(response.body.message).toBe(
        'url must not point at a private network address (127.0.0.1 is loopback)',
      );
      expect(response.text).not.toContain('DELIVERY_ALLOW_PRIVATE_NETWORKS');
    } finally {
      await api.close();
    }
  });
});
