import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Server } from 'node:http';
import { mintToken, waitUntil } from '@app/testing';
import { SERVER_LIMITS } from '@app/http';
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

  /** The server's side of every connection, to see how much of a request it read. */
  const accepted: Socket[] = [];

  beforeAll(async () => {
    api = await createTestApi({}, limits);
    server = api.app.getHttpServer() as Server;
    server.on('connection', (socket: Socket) => accepted.push(socket));
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
      maxPipelinedRequests: 8,
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

  describe('a body over 100 KiB is refused without being read (413)', () => {
    const LIMIT = 100 * 1024;
    const head = (framing: string) =>
      `POST /webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${mintToken()}\r\n` +
      `Content-Type: application/json\r\n${framing}\r\n`;

    /** A client that keeps sending `chunk` while the socket takes it, until told to stop. */
    function sender(chunk: Buffer) {
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let received = '';
      let sent = 0;
      let stopped = false;
      socket.on('error', () => undefined);
      socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
      const pump = () => {
        while (!stopped && socket.writable && socket.write(chunk)) sent += chunk.length;
      };
      socket.on('drain', pump);
      return {
        socket,
        start: (first: string) => {
          socket.write(first);
          pump();
        },
        stop: () => (stopped = true),
        received: () => received,
        sent: () => sent,
      };
    }

    it('a declared Content-Length over the limit: 413 at once, nothing read, the socket destroyed', async () => {
      const before = accepted.length;
      const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let received = '';
      client.on('data', (data: Buffer) => (received += data.toString('latin1')));
      await new Promise((resolve) => client.once('connect', resolve));
      // 10 MB announced, 150 KB sent, the rest never: a drained body would wait for the request deadline.
      client.write(head('Content-Length: 10000000\r\n') + '{"url":"' + 'a'.repeat(150 * 1024));
      await waitUntil(async () => received.includes('\r\n\r\n{'), limits.requestTimeoutMs - 500, 'the 413');
      expect(received).toMatch(/^HTTP\/1.1 413 /);
      expect(received.toLowerCase()).toContain('connection: close');
      expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual({
        code: 413,
        message: 'Request body is larger than 100 KiB',
      });
      await serverLetsGo(Date.now(), limits.errorCloseGraceMs + 700);
      // The headers, and at most what came with them before the API stopped reading.
      expect(accepted[before].bytesRead).toBeLessThan(LIMIT);
      client.destroy();
    });

    it('a chunked body is cut off the moment it passes the limit: 413, the rest never read', async () => {
      const before = accepted.length;
      const chunk = Buffer.from(`4000\r\n${'a'.repeat(0x4000)}\r\n`);
      const client = sender(chunk);
      await new Promise((resolve) => client.socket.once('connect', resolve));
      client.start(head('Transfer-Encoding: chunked\r\n') + '4\r\n{"u"\r\n');
      await waitUntil(async () => /^HTTP\/1.1 413 /.test(client.received()), 5_000, 'the 413');
      expect(client.received().toLowerCase()).toContain('connection: close');
      await serverLetsGo(Date.now(), limits.errorCloseGraceMs + 700);
      client.stop();
      // The client saw the 413 while it still had the rest to send; the API read about the limit.
      expect(accepted[before].bytesRead).toBeLessThan(LIMIT + 256 * 1024);
      client.socket.destroy();
    });
  });

  describe('pipelining: what one connection can queue is bounded', () => {
    it('300 requests pipelined in one write, answered asynchronously: the socket is destroyed at once', async () => {
      const started = Date.now();
      // GET /health answers after its probes: all 300 arrive before the first answer.
      const socket = await stubbornClient('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
      // Long before any deadline of the server's (the shortest here is the headers' 1 s).
      const elapsed = await serverLetsGo(started, 900);
      expect(elapsed).toBeLessThan(900);
      socket.destroy();
    });

    it('a client that pipelines large answers and never reads them is let go within the request timeout', async () => {
      // Built once: from now on it is answered at once, so the requests are answered as they arrive.
      await fetch(`http://127.0.0.1:${port}/openapi.json`).then((response) => response.text());
      const started = Date.now();
      // 300 × the OpenAPI document (about 150 KB): far more than the kernel buffers between them hold.
      const socket = await stubbornClient('GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
      // Generous (the answers take a moment to fill the buffers); without the bound it is twice the idle timeout (60 s).
      await serverLetsGo(started, 2 * limits.requestTimeoutMs + 1_000);
      socket.destroy();
    });
  });
});
