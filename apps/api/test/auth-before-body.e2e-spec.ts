import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { bearer, mintToken, waitUntil } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const ACCESS_DENIED = { code: 401, message: 'Access denied' };

/**
 * Unauthenticated requests must not buy a body parse: a request with a body and no valid token is
 * refused from its headers alone (README → Security).
 */
describe('authentication before the body (e2e)', () => {
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    api = await createTestApi();
    const server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => api.close());

  /** Sends only the head of a request announcing a 100 KiB body, and reads whatever comes back. */
  function headOnly(path: string, authorization?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      const auth = authorization === undefined ? '' : `Authorization: ${authorization}\r\n`;
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${auth}` +
          `Content-Length: ${100 * 1024}\r\n\r\n`,
      );
    });
  }

  function bodyOf(raw: string): unknown {
    return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
  }

  it.each([
    ['no Authorization header', undefined],
    ['a malformed bearer', 'Bearer not-a-token'],
    [
      'a token signed with another key',
      `Bearer ${mintToken({}, { key: 'another-key-another-key-another-key' })}`,
    ],
    ['an expired token', `Bearer ${mintToken({}, { expiresIn: -60 })}`],
  ])('%s: 401 from the headers alone, the connection closed, the body never awaited', async (_name, auth) => {
    // Were the body awaited, this would hang until the request deadline (30 s), past the test timeout.
    const raw = await headOnly('/webhooks', auth);
    expect(raw).toMatch(/^HTTP\/1.1 401 /);
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(bodyOf(raw)).toEqual(ACCESS_DENIED);
  });

  it('authentication first, then as without the body: an unknown path is 401 without a token, 404 with one', async () => {
    // README → API → Requests and limits: the order the rule states, the body never awaited either way.
    expect(await headOnly('/no-such-route')).toMatch(/^HTTP\/1.1 401 /);
    const raw = await headOnly('/no-such-route', `Bearer ${mintToken()}`);
    expect(raw).toMatch(/^HTTP\/1.1 404 /);
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(bodyOf(raw)).toEqual({ code: 404, message: 'Cannot POST /no-such-route' });
  });

  it('a deep body without a token is 401, not a parse error', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    await request(api.http)
      .post('/webhooks')
      .set('Content-Type', 'application/json')
      .send(deep)
      .expect(401, ACCESS_DENIED);
  });

  it('a valid token still gets its body read, validated and answered', async () => {
    const response = await request(api.http)
      .post('/webhooks')
      .set(bearer(mintToken()))
      .send({ url: 'https://example.com/hook', events: [{ name: 'api.created' }], nope: 1 })
      .expect(400);
    expect(response.body).toMatchObject({ code: 400, errors: [{ field: 'nope' }] });
  });

  it('public routes need no token, with a body or without', async () => {
    await request(api.http)
      .get('/health')
      .expect((response) => expect(response.status).not.toBe(401));
    await request(api.http).get('/metrics').expect(200);
  });

  it('a path that only starts like a public one (/health-x, /docs-x, /metrics-x) needs a token', async () => {
    for (const path of ['/health-x', '/docs-x', '/metrics-x', '/healthz']) {
      const response = await request(api.http)
        .post(path)
        .set('Content-Type', 'application/json')
        .send('{bad')
        .expect(401);
      expect(response.body).toEqual(ACCESS_DENIED);
    }
  });
});

/**
 * Only the operations that take a body read one (README → API → Requests and limits): any other
 * request is answered as it would be without it, the body never read, the connection closed.
 */
describe('bodies of routes that take none are never read (e2e)', () => {
  let api: TestApi;
  let port: number;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    api = await createTestApi();
    const server = api.app.getHttpServer() as Server;
    server.on('connection', (socket: Socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => api.close());

  it.each(['/health', '/metrics', '/docs', '/openapi.json'])(
    'POST %s with malformed JSON: its usual answer, not a parse error, and the connection closed',
    async (path) => {
      const response = await request(api.http)
        .post(path)
        .set('Content-Type', 'application/json')
        .send('{bad');
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ code: 404, message: `Cannot POST ${path}` });
      expect(response.headers.connection).toBe('close');
    },
  );

  it('GET /health with a body: answered as without one', async () => {
    const response = await request(api.http)
      .get('/health')
      .set('Content-Type', 'application/json')
      .send('{"deep":' + '['.repeat(10_000));
    expect([200, 503]).toContain(response.status);
    expect(response.body).toMatchObject({ checks: expect.any(Object) });
  });

  it('a route that takes no body (ping) with a valid token: its own answer, the body never parsed', async () => {
    const response = await request(api.http)
      .post('/webhooks/8c0c9d4e-3c1e-4d6e-9f3a-0b7f6f3c2a11/ping')
      .set(bearer(mintToken()))
      .set('Content-Type', 'application/json')
      .send('{bad');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ code: 404, message: 'Webhook not found' });
  });

  it('a huge body to a public path is not read: answered at once, the socket destroyed', async () => {
    const before = accepted.length;
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n',
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (socket.writable && socket.write(chunk));
    };
    socket.on('drain', pump);
    pump();
    await waitUntil(async () => received.includes('\r\n\r\n{'), 5_000, 'the answer');
    expect(received).toMatch(/^HTTP\/1.1 404 /);
    expect(received.toLowerCase()).toContain('connection: close');
    await waitUntil(async () => accepted[before].destroyed, 5_000, 'the socket destroyed');
    socket.removeAllListeners('drain');
    // The headers and what came with them: nowhere near the gigabyte announced.
    expect(accepted[before].bytesRead).toBeLessThan(512 * 1024);
    socket.destroy();
  });
});
