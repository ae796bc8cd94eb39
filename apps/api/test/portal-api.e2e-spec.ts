import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createTestApp, testConfig } from '@app/testing';
import { apiApplication } from '../src/app.setup';
import { bearer, createWebhook } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';
import { portalLogin } from './helpers/portal';

describe('Portal API: the REST API behind the session cookie (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
  });
  afterAll(() => api.close());

  const hook = { url: 'https://receiver.example/hook', events: [{ name: 'api.created' }] };

  it('reaches the real data: what a bearer token created, the session lists, gets and manages', async () => {
    const browser = await portalLogin(api.http);
    const created = await createWebhook(api.http, bearer(browser.token));
    const list = await request(api.http)
      .get('/portal/api/webhooks')
      .set('Cookie', browser.cookie)
      .expect(200);
    expect(list.body.map((webhook: { id: string }) => webhook.id)).toEqual([created.id]);
    const one = await request(api.http)
      .get(`/portal/api/webhooks/${created.id}`)
      .set('Cookie', browser.cookie)
      .expect(200);
    expect(one.body.id).toBe(created.id);
    await request(api.http)
      .put(`/portal/api/webhooks/${created.id}`)
      .set(browser.writeHeaders)
      .send({ active: false })
      .expect(200);
    const rotated = await request(api.http)
      .post(`/portal/api/webhooks/${created.id}/secret`)
      .set(browser.writeHeaders)
      .expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    await request(api.http)
      .get(`/portal/api/webhooks/${created.id}/deliveries?limit=5`)
      .set('Cookie', browser.cookie)
      .expect(200);
    const events = await request(api.http)
      .get('/portal/api/events')
      .set('Cookie', browser.cookie)
      .expect(200);
    expect(events.body).toEqual((await request(api.http).get('/events').set(bearer(browser.token))).body);
    await request(api.http).get('/portal/api/events/api.created').set('Cookie', browser.cookie).expect(200);
    await request(api.http)
      .delete(`/portal/api/webhooks/${created.id}`)
      .set(browser.writeHeaders)
      .expect(204);
    await request(api.http).get(`/webhooks/${created.id}`).set(bearer(browser.token)).expect(404);
  });

  it('creates through the portal, with the API’s own validation messages', async () => {
    const browser = await portalLogin(api.http);
    const created = await request(api.http).post('/portal/api/webhooks').set(browser.writeHeaders).send(hook);
    expect(created.status).toBe(201);
    expect(created.body.user.id).toBe(browser.sub);
    const bad = { url: 'ftp://x', events: [{ name: 'nope' }] };
    const viaPortal = await request(api.http)
      .post('/portal/api/webhooks')
      .set(browser.writeHeaders)
      .send(bad);
    const viaApi = await request(api.http).post('/webhooks').set(bearer(browser.token)).send(bad);
    expect(viaPortal.status).toBe(400);
    expect(viaPortal.body).toEqual(viaApi.body);
    const malformed = await request(api.http)
      .post('/portal/api/webhooks')
      .set(browser.writeHeaders)
      .set('Content-Type', 'application/json')
      .send('{"url":');
    expect(malformed.body).toEqual({ code: 400, message: 'Malformed JSON in request body' });
    const unknown = await request(api.http)
      .get('/portal/api/webhooks/not-a-uuid')
      .set('Cookie', browser.cookie)
      .expect(404);
    expect(unknown.body.code).toBe(404);
  });

  it('shows a secret once: in the answers to create, rotate and a switch of signing only', async () => {
    const browser = await portalLogin(api.http);
    const created = await request(api.http)
      .post('/portal/api/webhooks')
      .set(browser.writeHeaders)
      .send(hook)
      .expect(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const path = `/portal/api/webhooks/${created.body.id}`;
    const shown: string[] = [created.body.secret];
    /** The portal's GET, list and a PUT that changes no key: no `secret`, and none of the secrets anywhere. */
    const expectNoSecret = async () => {
      const answers = [
        await request(api.http).get(path).set('Cookie', browser.cookie).expect(200),
        await request(api.http).get('/portal/api/webhooks').set('Cookie', browser.cookie).expect(200),
        await request(api.http).put(path).set(browser.writeHeaders).send({ custom: '{"a":1}' }).expect(200),
      ];
      expect(answers[0].body).not.toHaveProperty('secret');
      expect(answers[1].body[0]).not.toHaveProperty('secret');
      expect(answers[2].body).not.toHaveProperty('secret');
      for (const answer of answers) {
        for (const secret of shown) expect(JSON.stringify(answer.body)).not.toContain(secret.slice(6));
      }
    };
    await expectNoSecret();

    const rotated = await request(api.http).post(`${path}/secret`).set(browser.writeHeaders).expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    shown.push(rotated.body.secret);
    await expectNoSecret();

    // A switch of signing is a rotation into the other kind: its answer shows the new key, once.
    const switched = await request(api.http)
      .put(path)
      .set(browser.writeHeaders)
      .send({ signing: 'ed25519' })
      .expect(200);
    expect(switched.body.secret).toMatch(/^whpk_/);
    shown.push(switched.body.secret);
    const again = await request(api.http)
      .put(path)
      .set(browser.writeHeaders)
      .send({ signing: 'ed25519' })
      .expect(200);
    expect(again.body).not.toHaveProperty('secret');
    await expectNoSecret();

    // The REST API keeps the contract: a bearer token with scope webhook reads the current secret.
    const rest = await request(api.http)
      .get(`/webhooks/${created.body.id}`)
      .set(bearer(browser.token))
      .expect(200);
    expect(rest.body.secret).toBe(switched.body.secret);
    const restList = await request(api.http).get('/webhooks').set(bearer(browser.token)).expect(200);
    expect(restList.body[0].secret).toBe(switched.body.secret);
    const restPut = await request(api.http)
      .put(`/webhooks/${created.body.id}`)
      .set(bearer(browser.token))
      .send({ active: true })
      .expect(200);
    expect(restPut.body.secret).toBe(switched.body.secret);
  });

  it.each([
    ['missing', {}],
    ['wrong', { 'x-csrf-token': 'A'.repeat(43) }],
    ['huge', { 'x-csrf-token': 'A'.repeat(8000) }],
  ])('refuses a write with a %s CSRF token: 403 {code, message}, nothing changed', async (_what, csrf) => {
    const browser = await portalLogin(api.http);
    const response = await request(api.http)
      .post('/portal/api/webhooks')
      .set({ Cookie: browser.cookie, ...csrf })
      .send(hook)
      .expect(403);
    expect(response.body).toEqual({
      code: 403,
      message: expect.stringContaining('CSRF token missing or wrong'),
    });
    const list = await request(api.http).get('/webhooks').set(bearer(browser.token)).expect(200);
    expect(list.body).toEqual([]);
  });

  it('refuses a CSRF token of another session', async () => {
    const [mine, theirs] = [await portalLogin(api.http), await portalLogin(api.http)];
    await request(api.http)
      .post('/portal/api/webhooks')
      .set({ Cookie: mine.cookie, 'x-csrf-token': theirs.csrfToken })
      .send(hook)
      .expect(403);
  });

  it.each([
    ['another Origin', { Origin: 'https://evil.example' }],
    ['a null Origin', { Origin: 'null' }],
    ['Sec-Fetch-Site cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site same-site', { 'Sec-Fetch-Site': 'same-site' }],
  ])('refuses a write with %s, even with the right CSRF token', async (_what, headers) => {
    const browser = await portalLogin(api.http);
    const response = await request(api.http)
      .post('/portal/api/webhooks')
      .set({ Cookie: browser.cookie, 'x-csrf-token': browser.csrfToken, ...headers })
      .send(hook)
      .expect(403);
    expect(response.body).toEqual({
      code: 403,
      message: expect.stringContaining('Cross-origin request refused'),
    });
  });

  it('accepts a write whose Origin is the request’s own host', async () => {
    const browser = await portalLogin(api.http);
    await request(api.http)
      .post('/portal/api/webhooks')
      .set({ Cookie: browser.cookie, 'x-csrf-token': browser.csrfToken })
      .set('Host', 'portal.example:8443')
      .set('Origin', 'https://portal.example:8443')
      .send(hook)
      .expect(201);
  });

  it('gives a readonly session 403 on every write and never a secret', async () => {
    const owner = await portalLogin(api.http);
    const created = await createWebhook(api.http, bearer(owner.token));
    const reader = await portalLogin(api.http, { sub: owner.sub, scope: 'webhook.readonly' });
    const one = await request(api.http)
      .get(`/portal/api/webhooks/${created.id}`)
      .set('Cookie', reader.cookie)
      .expect(200);
    expect(one.body.id).toBe(created.id);
    expect(JSON.stringify(one.body)).not.toContain(created.secret);
    const list = await request(api.http).get('/portal/api/webhooks').set('Cookie', reader.cookie).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    const writes: Array<[string, string]> = [
      ['post', '/portal/api/webhooks'],
      ['put', `/portal/api/webhooks/${created.id}`],
      ['delete', `/portal/api/webhooks/${created.id}`],
      ['post', `/portal/api/webhooks/${created.id}/ping`],
      ['post', `/portal/api/webhooks/${created.id}/secret`],
      ['post', `/portal/api/webhooks/${created.id}/deliveries/${created.id}/redeliver`],
    ];
    for (const [method, path] of writes) {
      const response = await request(api.http)
        [method as 'post' | 'put' | 'delete'](path)
        .set(reader.writeHeaders)
        .send(method === 'delete' ? undefined : hook);
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 403,
        body: { code: 403, message: 'Insufficient scope: requires webhook' },
      });
    }
  });

  it('keeps one user’s webhooks from another user’s session, and from another user’s bearer token', async () => {
    const owner = await portalLogin(api.http);
    const created = await request(api.http).post('/portal/api/webhooks').set(owner.writeHeaders).send(hook);
    const stranger = await portalLogin(api.http);
    await request(api.http)
      .get(`/portal/api/webhooks/${created.body.id}`)
      .set('Cookie', stranger.cookie)
      .expect(404);
    await request(api.http).get(`/webhooks/${created.body.id}`).set(bearer(stranger.token)).expect(404);
    // A bearer token never stands in for, or next to, a session on the portal API.
    const mixed = await request(api.http)
      .get(`/portal/api/webhooks/${created.body.id}`)
      .set('Cookie', owner.cookie)
      .set(bearer(stranger.token))
      .expect(400);
    expect(mixed.body.message).toContain('not an Authorization header');
    await request(api.http).get('/portal/api/webhooks').set(bearer(owner.token)).expect(400);
  });

  it.each([
    ['no cookie', {}],
    ['an unknown session', { Cookie: `portal_session=${'A'.repeat(43)}` }],
    ['a huge cookie', { Cookie: `portal_session=${'A'.repeat(12_000)}` }],
    ['a non-ASCII cookie', { Cookie: 'portal_session=\u00fc\u00fc\u00fc' }],
    ['a garbled cookie header', { Cookie: ';;;=;portal_session;portal_session==;' }],
  ])('answers 401 {code, message} to %s', async (_what, headers) => {
    const response = await request(api.http).get('/portal/api/webhooks').set(headers).expect(401);
    expect(response.body).toEqual({ code: 401, message: 'Access denied' });
    const write = await request(api.http).post('/portal/api/webhooks').set(headers).send(hook).expect(401);
    expect(write.body).toEqual({ code: 401, message: 'Access denied' });
  });

  it.each([
    '/portal/api/health',
    '/portal/api/metrics',
    '/portal/api/docs',
    '/portal/api/openapi.json',
    '/portal/api',
  ])('does not mirror %s (only webhooks and events)', async (path) => {
    const browser = await portalLogin(api.http);
    const response = await request(api.http).get(path).set('Cookie', browser.cookie).expect(404);
    expect(response.body.code).toBe(404);
  });

  it('counts portal requests against the user’s rate limit, as the API does', async () => {
    const limited = await createTestApi({
      RATE_LIMIT: '3/1m',
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}:portal-rl`,
    });
    try {
      const browser = await portalLogin(limited.http);
      // The login's own GET /portal/api/session counted once; the bearer mint once more.
      const third = await request(limited.http).get('/portal/api/webhooks').set('Cookie', browser.cookie);
      expect(third.status).toBe(200);
      expect(third.headers['ratelimit-remaining']).toBe('0');
      const refused = await request(limited.http)
        .get('/portal/api/webhooks')
        .set('Cookie', browser.cookie)
        .expect(429);
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });

  it('logs the path as asked, never the link token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const { module, ...options } = apiApplication(testConfig(), pino({ level: 'info' }, sink));
    const logged = await createTestApp(module, options);
    try {
      const browser = await portalLogin(logged.http);
      await request(logged.http).get('/portal/api/webhooks').set('Cookie', browser.cookie).expect(200);
      const paths = lines.map((line) => (JSON.parse(line) as { path?: string }).path);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/portal/sessions',
          '/portal/login',
          '/portal/api/session',
          '/portal/api/webhooks',
        ]),
      );
      expect(lines.join('\n')).not.toMatch(/token=|portal_session=/);
    } finally {
      await logged.close();
    }
  });
});
