import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { bearer, mintToken, TEST_JWT_SECRET } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const events = [{ name: 'api.created' }];

/** Bytes PostgreSQL cannot store, hostile names and shapes, forged tokens: a 4xx with {code, message}, never a 500. */
describe('Hostile input at every edge (e2e)', () => {
  let api: TestApi;
  const sub = `hostile-${Date.now()}`;
  const auth = bearer(mintToken({ sub }));

  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    // Nothing any refused request sent may have been created.
    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body).toEqual([]);
    await api.close();
  });

  const postRaw = (json: string, headers = auth) =>
    request(api.http).post('/webhooks').set(headers).set('content-type', 'application/json').send(json);

  describe('text PostgreSQL cannot store is a 400 naming the field', () => {
    it.each([
      ['custom', `{"url":"https://a.example/","events":[{"name":"api.created"}],"custom":"\\"\\ud800\\""}`],
      ['url', `{"url":"https://a.example/\\ud800","events":[{"name":"api.created"}]}`],
      ['userId', `{"url":"https://a.example/","events":[{"name":"api.created"}],"userId":"org-\\udc00"}`],
      ['custom', `{"url":"https://a.example/","events":[{"name":"api.created"}],"custom":"\\"a\\u0000b\\""}`],
      ['events[0].name', `{"url":"https://a.example/","events":[{"name":"api\\u0000created"}]}`],
    ])('%s', async (field, json) => {
      const response = await postRaw(json).expect(400);
      expect(response.body).toMatchObject({ code: 400, errors: [{ field }] });
      expect(response.body.message).toMatch(/NUL or unpaired surrogates/);
    });

    it('in a query string', async () => {
      const response = await request(api.http).get('/webhooks?userId=a%00b').set(auth).expect(400);
      expect(response.body).toMatchObject({ code: 400, errors: [{ field: 'userId' }] });
    });

    it('in a field name', async () => {
      const response = await postRaw(`{"url":"https://a.example/","events":[],"\\ud800":1}`).expect(400);
      expect(response.body.code).toBe(400);
    });
  });

  describe('deep nesting is refused before anything walks it', () => {
    it.each([33, 2_000, 20_000])('%i levels', async (depth) => {
      const json = `{"url":"https://a.example/","events":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const response = await postRaw(json);
      expect(response.status).toBe(json.length > 100 * 1024 ? 413 : 400);
      expect(response.body.code).toBe(response.status);
      if (response.status === 400) expect(response.body.message).toMatch(/nested deeper than 32 levels/);
    });

    it('32 levels are not refused for their depth', async () => {
      // The body is still invalid (events must be objects), but for a field reason, not the depth.
      const nested = `${'['.repeat(31)}${']'.repeat(31)}`;
      const response = await postRaw(`{"url":"https://a.example/","events":${nested}}`).expect(400);
      expect(response.body.message).not.toMatch(/nested deeper/);
    });
  });

  describe('fields named like Object.prototype members are unknown fields', () => {
    it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
      'body: %s',
      async (name) => {
        const response = await postRaw(
          `{"url":"https://a.example/","events":[{"name":"api.created"}],"${name}":{}}`,
        ).expect(400);
        expect(response.body).toMatchObject({ code: 400, errors: [{ field: name }] });
      },
    );

    it.each(['constructor', 'toString'])('nested in events[0]: %s', async (name) => {
      const response = await postRaw(
        `{"url":"https://a.example/","events":[{"name":"api.created","${name}":1}]}`,
      ).expect(400);
      expect(response.body.errors[0].field).toBe(`events[0].${name}`);
    });

    it.each(['constructor', 'toString', '__proto__'])('query: %s', async (name) => {
      const response = await request(api.http).get(`/webhooks?${name}=x`).set(auth).expect(400);
      expect(response.body.code).toBe(400);
    });
  });

  describe('a query parameter a route does not take is a 400, as an unknown body field is', () => {
    const id = '00000000-0000-4000-8000-000000000000';
    it.each([
      ['GET', '/events?x=1'],
      ['GET', '/events/api.created?expand=all'],
      ['GET', `/webhooks/${id}?fields=secret`],
      ['GET', `/webhooks/${id}/stats?hours=48`],
      ['POST', `/webhooks/${id}/ping?force=true`],
      ['POST', `/webhooks/${id}/secret?overlap=0`],
      ['DELETE', `/webhooks/${id}?cascade=1`],
      ['DELETE', `/users/${sub}/data?dryRun=true`],
      ['GET', '/health?verbose=1'],
    ])('%s %s', async (method, path) => {
      const key = new URL(path, 'http://x').searchParams.keys().next().value as string;
      const response = await request(api.http)
        [method.toLowerCase() as 'get' | 'post' | 'delete'](path)
        .set(auth)
        .expect(400);
      expect(response.body).toMatchObject({ code: 400, errors: [{ field: key }] });
      expect(response.body.message).toBe(`${key} should not exist`);
    });

    it("the portal's page is a page: a query string on its address is not refused", async () => {
      const response = await request(api.http).get('/portal/?from=dashboard');
      expect(response.status).not.toBe(400);
      expect(response.headers['content-type']).toMatch(/text\/html/);
    });

    it('a route that takes a query still refuses only what it does not declare', async () => {
      await request(api.http).get('/webhooks?eventName=api.created').set(auth).expect(200);
      const response = await request(api.http)
        .get('/webhooks?eventName=api.created&x=1')
        .set(auth)
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'x', message: 'x should not exist' }]);
    });
  });

  describe('URL rules', () => {
    it.each([
      'https://@example.com/',
      'https://:@example.com/',
      'https://example.com:0/',
      'https://example.com:00/',
    ])('%s', async (url) => {
      const response = await request(api.http).post('/webhooks').set(auth).send({ url, events }).expect(400);
      expect(response.body.errors[0].field).toBe('url');
    });
  });

  it('a delivery-log cursor of year 0 is a 400, not a 500', async () => {
    const cursor = Buffer.from('0000-01-01T00:00:00.000000Z|3d1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b').toString(
      'base64url',
    );
    const created = await request(api.http)
      .post('/webhooks')
      .set(bearer(mintToken({ sub: `${sub}-cursor` })))
      .send({ url: 'https://a.example/', events })
      .expect(201);
    const response = await request(api.http)
      .get(`/webhooks/${created.body.id}/deliveries?cursor=${cursor}`)
      .set(bearer(mintToken({ sub: `${sub}-cursor` })))
      .expect(400);
    expect(response.body.code).toBe(400);
  });

  describe('tokens', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const sign = (payload: object, header: object = {}) =>
      jwt.sign(payload, TEST_JWT_SECRET, { algorithm: 'HS256', header: { alg: 'HS256', ...header } });
    const get = (token: string) => request(api.http).get('/webhooks').set(bearer(token));

    it('without exp: 401', async () => {
      const response = await get(sign({ sub, scope: 'webhook', iat: now() })).expect(401);
      expect(response.body).toEqual({ code: 401, message: 'Access denied' });
    });

    it('with a crit header: 401', async () => {
      await get(sign({ sub, scope: 'webhook', exp: now() + 600 }, { crit: ['exp'] })).expect(401);
      await get(sign({ sub, scope: 'webhook', exp: now() + 600 }, { crit: [] })).expect(401);
    });

    it('nbf is honoured, with 30 s of clock tolerance either way', async () => {
      await get(sign({ sub, scope: 'webhook', exp: now() + 600, nbf: now() + 120 })).expect(401);
      await get(sign({ sub, scope: 'webhook', exp: now() + 600, nbf: now() + 20 })).expect(200);
      await get(sign({ sub, scope: 'webhook', exp: now() - 20 })).expect(200);
      await get(sign({ sub, scope: 'webhook', exp: now() - 120 })).expect(401);
    });

    it('scopes are split on plain spaces only', async () => {
      for (const scope of ['webhook.readonly\twebhook', 'x\u00a0webhook', 'x\u2003webhook']) {
        const response = await request(api.http)
          .post('/webhooks')
          .set(bearer(mintToken({ sub, scope })))
          .send({ url: 'https://a.example/', events })
          .expect(403);
        expect(response.body.code).toBe(403);
      }
    });

    it('a sub PostgreSQL cannot store is refused; such a nickname is cleaned', async () => {
      await get(mintToken({ sub: `bad-\ud800` })).expect(401);
      await get(mintToken({ sub: `bad-\u0000` })).expect(401);
      const owner = `${sub}-nick`;
      const created = await request(api.http)
        .post('/webhooks')
        .set(bearer(mintToken({ sub: owner, nickname: 'ann\ud800ie' })))
        .send({ url: 'https://a.example/', events })
        .expect(201);
      expect(created.body.user).toEqual({ id: owner, nickname: 'annie' });
    });
  });

  describe('errors of the HTTP server itself have the ErrorResponse shape', () => {
    let port: number;
    beforeAll(async () => {
      await new Promise<void>((resolve) => api.app.getHttpServer().listen(0, '127.0.0.1', resolve));
      port = (api.app.getHttpServer().address() as AddressInfo).port;
    });

    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(text));
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('end', () => resolve(received));
        socket.on('error', reject);
      });
    const bodyOf = (response: string) =>
      JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as unknown;

    it('431 for oversized headers', async () => {
      const response = await raw(`GET /webhooks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(response).toMatch(/^HTTP\/1.1 431 /);
      expect(bodyOf(response)).toEqual({ code: 431, message: 'Request headers are too large' });
    });

    it('400 for a malformed request line', async () => {
      const response = await raw('THIS IS NOT HTTP\r\n\r\n');
      expect(response).toMatch(/^HTTP\/1.1 400 /);
      expect(bodyOf(response)).toEqual({ code: 400, message: 'Malformed HTTP request' });
    });
  });
});
