import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
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

  it('unknown paths with a body are refused the same way', async () => {
    expect(await headOnly('/no-such-route')).toMatch(/^HTTP\/1.1 401 /);
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
});
