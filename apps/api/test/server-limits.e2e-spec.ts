import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mintToken } from '@app/testing';
import { SERVER_LIMITS } from '../src/common/http-server';
import { createTestApi, TestApi } from './helpers/test-app';

/** README → Security: a client that trickles its headers is cut off at the headers deadline, holding nothing. */
describe('HTTP server limits (e2e)', () => {
  let api: TestApi;
  let server: Server;
  let port: number;
  // The production limits, with a short headers deadline so the test runs in seconds.
  const limits = {
    ...SERVER_LIMITS,
    headersTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
    checkIntervalMs: 250,
    errorCloseGraceMs: 300,
  };
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  /** Polls until the server holds no socket; resolves with how long that took. */
  async function serverLetsGo(started: number, withinMs: number): Promise<number> {
    while ((await connections()) > 0 && Date.now() - started < withinMs) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await connections()).toBe(0);
    return Date.now() - started;
  }
  /** A client that never reads what it is sent and never closes its side (attack item: held sockets). */
  async function stubbornClient(request: string) {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.pause();
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(request);
    while ((await connections()) === 0) await new Promise((r) => setTimeout(r, 5));
    return socket;
  }

  beforeAll(async () => {
    api = await createTestApi({}, limits);
    server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => api.close());

  it('the production limits are deliberate', () => {
    expect(SERVER_LIMITS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      checkIntervalMs: 1_000,
      maxHeaderBytes: 16 * 1024,
      socketIdleTimeoutMs: 30_000,
      errorCloseGraceMs: 1_000,
    });
  });

  it('a slow-headers client gets 408 {code, message} and its socket is closed', async () => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.write('GET /webhooks HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // One byte every 100 ms, never finishing the header block.
    const trickle = setInterval(() => socket.writable && socket.write('a'), 100);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(trickle);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
    expect(elapsed).toBeLessThan(limits.headersTimeoutMs + 2 * limits.checkIntervalMs + 500);
    expect(received).toMatch(/^HTTP\/1.1 408 /);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual({
      code: 408,
      message: 'Request timed out',
    });
    // The server lets go of the socket too (polled: its close is processed a moment later).
    await serverLetsGo(Date.now(), 1_000);
  });

  describe('a client that never reads and never closes still loses its socket', () => {
    const bound = (deadlineMs: number) =>
      deadlineMs + 2 * limits.checkIntervalMs + limits.errorCloseGraceMs + 700;

    it('after the headers deadline (408)', async () => {
      const started = Date.now();
      const socket = await stubbornClient('GET /webhooks HTTP/1.1\r\nHost: x\r\nX-Slow: a');
      const elapsed = await serverLetsGo(started, bound(limits.headersTimeoutMs));
      expect(elapsed).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
      socket.destroy();
    });

    it('after the request deadline, the body never finishing (408)', async () => {
      const started = Date.now();
      const socket = await stubbornClient(
        `POST /webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${mintToken()}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"u',
      );
      const elapsed = await serverLetsGo(started, bound(limits.requestTimeoutMs));
      expect(elapsed).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 50);
      socket.destroy();
    });

    it('after a malformed request (400)', async () => {
      const started = Date.now();
      const socket = await stubbornClient('GET /webhooks HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      const elapsed = await serverLetsGo(started, 2_000);
      expect(elapsed).toBeGreaterThanOrEqual(limits.errorCloseGraceMs - 50);
      socket.destroy();
    });

    it('after oversized headers (431)', async () => {
      const started = Date.now();
      const socket = await stubbornClient(
        `GET /webhooks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(limits.maxHeaderBytes + 10)}\r\n\r\n`,
      );
      await serverLetsGo(started, 2_000);
      socket.destroy();
    });
  });
});
