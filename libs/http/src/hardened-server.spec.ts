import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createHardenedServer } from './hardened-server';
import { SERVER_LIMITS, ServerLimits } from './server-limits';

/** The production limits, with deadlines short enough for a unit test. */
const LIMITS: ServerLimits = {
  ...SERVER_LIMITS,
  headersTimeoutMs: 500,
  requestTimeoutMs: 800,
  checkIntervalMs: 100,
  errorCloseGraceMs: 200,
  // Long: whatever closes a socket in these tests, it is not these.
  keepAliveTimeoutMs: 60_000,
  socketIdleTimeoutMs: 60_000,
};

async function until(check: () => boolean | Promise<boolean>, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('createHardenedServer', () => {
  let server: Server;
  let port: number;
  /** The server's side of each connection, to see what it read and when it let go. */
  let accepted: Socket[];
  let clients: Socket[];

  async function listen(handler: RequestListener, readsBodies = false): Promise<void> {
    server = createHardenedServer(handler, { limits: LIMITS, readsBodies });
    accepted = [];
    server.on('connection', (socket: Socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }

  /**
   * A raw client that never closes its side (the server's grace is what ends the connection);
   * `reads: false` never takes a byte of what it is sent either (a stubborn client).
   */
  async function client(reads = true): Promise<{ socket: Socket; received: () => string }> {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    clients.push(socket);
    let received = '';
    socket.on('error', () => undefined);
    if (reads) socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    else socket.pause();
    await new Promise((resolve) => socket.once('connect', resolve));
    return { socket, received: () => received };
  }

  const serverLetGo = () => accepted.length > 0 && accepted.every((socket) => socket.destroyed);

  beforeEach(() => (clients = []));
  afterEach(async () => {
    clients.forEach((socket) => socket.destroy());
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a malformed request with {code, message} and destroys the socket after the grace', async () => {
    await listen((_request, response) => response.end('ok'));
    const { socket, received } = await client();
    const started = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    await until(serverLetGo, 2_000, 'the socket destroyed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.errorCloseGraceMs - 20);
    expect(received()).toMatch(/^HTTP\/1.1 400 /);
    expect(received().endsWith('{"code":400,"message":"Malformed HTTP request"}')).toBe(true);
  });

  it('destroys a connection that pipelines more than maxPipelinedRequests unanswered requests', async () => {
    let handled = 0;
    const pending: ServerResponse[] = [];
    // Answers come later (a database query, say): nothing is answered while the requests arrive.
    await listen((_request, response) => {
      handled += 1;
      pending.push(response);
    });
    const { socket } = await client(false);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
    await until(serverLetGo, 2_000, 'the socket destroyed');
    expect(handled).toBe(LIMITS.maxPipelinedRequests);
  });

  it('lets a client pipeline up to maxPipelinedRequests and answers them all', async () => {
    await listen((request, response) => setTimeout(() => response.end(request.url), 5));
    const { socket, received } = await client();
    const paths = Array.from({ length: LIMITS.maxPipelinedRequests }, (_, index) => `/${index}`);
    socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await until(() => received().split('HTTP/1.1 200').length - 1 === paths.length, 2_000, 'the answers');
    expect(accepted[0].destroyed).toBe(false);
  });

  it('destroys a socket whose client does not take its answer within the request timeout', async () => {
    // More than the kernel's buffers on both sides hold, so the write stalls.
    const big = Buffer.alloc(32 * 1024 * 1024, 'x');
    await listen((_request, response) => response.end(big));
    const { socket } = await client(false);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => accepted.length === 1 && accepted[0].writableLength > 0, 2_000, 'a stalled write');
    const stalled = Date.now();
    await until(
      serverLetGo,
      LIMITS.requestTimeoutMs + 4 * LIMITS.checkIntervalMs + 1_000,
      'the socket destroyed',
    );
    expect(Date.now() - stalled).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 2 * LIMITS.checkIntervalMs);
  });

  describe('a handler that reads no bodies (readsBodies: false)', () => {
    it('answers a request with a body without reading it, closes the connection and destroys the socket', async () => {
      await listen((_request, response) => response.end('{"status":"ok"}'));
      const { socket, received } = await client();
      socket.write('POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n');
      // The client keeps sending while it can; the server takes no more of it.
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const send = setInterval(() => socket.writable && socket.write(chunk), 1);
      await until(() => received().includes('{"status":"ok"}'), 2_000, 'the answer');
      expect(received().toLowerCase()).toContain('connection: close');
      await until(serverLetGo, 2_000, 'the socket destroyed');
      clearInterval(send);
      // Headers, and what arrived with them before the server stopped reading: nowhere near 100 MB.
      expect(accepted[0].bytesRead).toBeLessThan(512 * 1024);
    });

    it('sends no 100 Continue: a body it will not read is never asked for', async () => {
      await listen((_request, response) => response.end('done'));
      const { socket, received } = await client();
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n');
      await until(() => received().includes('done'), 2_000, 'the answer');
      expect(received()).not.toContain('100 Continue');
    });
  });

  it('leaves 100 Continue to a handler that reads bodies', async () => {
    let body = '';
    await listen((request: IncomingMessage, response) => {
      response.writeContinue();
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => response.end(`got ${body}`));
    }, true);
    const { socket, received } = await client();
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await until(() => received().includes('100 Continue'), 2_000, '100 Continue');
    socket.write('hello');
    await until(() => received().includes('got hello'), 2_000, 'the answer');
  });
});
