import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Resolver } from '@app/netguard';
import { describeError, guardedLookup, HttpSender, MAX_RECORDED_RESPONSE } from './http-sender';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that counts connections and requests. */
async function startServer(handler: Handler) {
  const stats = { connections: 0, requests: 0, bodies: [] as string[] };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    stats.requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      stats.bodies.push(Buffer.concat(chunks).toString());
      handler(req, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    stats.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  };
  return { url: `http://127.0.0.1:${port}/hook`, port, stats, close };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;

const TIMEOUT_MS = 300;
const servers: TestServer[] = [];
const timers: NodeJS.Timeout[] = [];
const sender = new HttpSender({ timeoutMs: TIMEOUT_MS, allowPrivateNetworks: true });
const guarded = new HttpSender({ timeoutMs: TIMEOUT_MS, allowPrivateNetworks: false });

async function serve(handler: Handler): Promise<TestServer> {
  const server = await startServer(handler);
  servers.push(server);
  return server;
}

const post = (target: HttpSender, url: string) =>
  target.send(url, '{"hello":"world"}', { 'content-type': 'application/json', 'user-agent': 'test' });

afterAll(async () => {
  timers.forEach(clearInterval);
  await Promise.all([sender.close(), guarded.close()]);
  await Promise.all(servers.map((server) => server.close()));
});

describe('HttpSender against real receivers', () => {
  it('POSTs the body and headers and records a 200 with its body', async () => {
    let seen: IncomingMessage | undefined;
    const server = await serve((req, res) => {
      seen = req;
      res.end('ok: received');
    });
    const result = await post(sender, server.url);
    expect(result).toMatchObject({ statusCode: 200, response: 'ok: received', error: null });
    expect(result.retryAfterMs).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen?.method).toBe('POST');
    expect(seen?.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'test' });
    expect(server.stats.bodies).toEqual(['{"hello":"world"}']);
  });

  it.each([500, 410])('records a %i with its body', async (status) => {
    const server = await serve((_req, res) => res.writeHead(status).end(`status ${status}`));
    expect(await post(sender, server.url)).toMatchObject({
      statusCode: status,
      response: `status ${status}`,
      error: null,
    });
  });

  it('does not follow a redirect', async () => {
    const target = await serve((_req, res) => res.end('should not be reached'));
    const server = await serve((_req, res) => res.writeHead(302, { location: target.url }).end());
    expect(await post(sender, server.url)).toMatchObject({ statusCode: 302, error: null });
    expect(target.stats.requests).toBe(0);
  });

  it.each([429, 503])('reads Retry-After on a %i', async (status) => {
    const server = await serve((_req, res) => res.writeHead(status, { 'retry-after': '7' }).end());
    expect(await post(sender, server.url)).toMatchObject({ statusCode: status, retryAfterMs: 7000 });
  });

  it('ignores Retry-After on other statuses', async () => {
    const server = await serve((_req, res) => res.writeHead(500, { 'retry-after': '7' }).end());
    expect((await post(sender, server.url)).retryAfterMs).toBeUndefined();
  });

  it('times out a receiver that never answers, at the deadline', async () => {
    const server = await serve(() => undefined);
    const result = await post(sender, server.url);
    expect(result).toEqual({
      statusCode: null,
      response: `timeout after ${TIMEOUT_MS} ms`,
      error: `timeout after ${TIMEOUT_MS} ms`,
      durationMs: expect.any(Number),
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS + 250);
  });

  it('cuts a receiver that trickles its body at the deadline', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x');
      timers.push(setInterval(() => res.write('x'), 100));
    });
    const result = await post(sender, server.url);
    expect(result).toMatchObject({ statusCode: null, error: `timeout after ${TIMEOUT_MS} ms` });
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS + 250);
  });

  it('stops reading an endless body and closes the socket', async () => {
    let closed!: Promise<void>;
    const server = await serve((_req, res) => {
      // The client resets the socket: 'error' (ECONNRESET) then 'close'.
      const socket = res.socket!;
      socket.on('error', () => undefined);
      closed = new Promise((resolve) => socket.once('close', () => resolve()));
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const result = await post(sender, server.url);
    expect(result).toMatchObject({ statusCode: 200, error: null });
    expect(result.response).toBe('a'.repeat(MAX_RECORDED_RESPONSE));
    await closed;
  });

  it('records at most 1024 characters of a multi-byte body', async () => {
    const server = await serve((_req, res) => res.end('é😀'.repeat(2000)));
    const { response } = await post(sender, server.url);
    expect(response.length).toBeLessThanOrEqual(MAX_RECORDED_RESPONSE);
    expect(response.length).toBeGreaterThan(MAX_RECORDED_RESPONSE - 2);
    expect(response).not.toMatch(/[\ud800-\udbff]$/);
  });

  it('reports a connection reset', async () => {
    const server = await serve((req) => req.socket.destroy());
    const result = await post(sender, server.url);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/ECONNRESET|socket/i);
    expect(result.response).toBe(result.error);
  });

  it('reports a refused connection as Node words it', async () => {
    const server = await startServer(() => undefined);
    await server.close();
    const result = await post(sender, `http://127.0.0.1:${server.port}/`);
    expect(result).toMatchObject({
      statusCode: null,
      error: `connect ECONNREFUSED 127.0.0.1:${server.port}`,
    });
  });

  it('reuses one keep-alive socket for sequential sends to one origin', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    expect((await post(sender, server.url)).statusCode).toBe(200);
    expect((await post(sender, server.url)).statusCode).toBe(200);
    expect(server.stats.requests).toBe(2);
    expect(server.stats.connections).toBe(1);
  });

  it('turns a bad URL into a result instead of throwing', async () => {
    const result = await post(sender, 'not a url');
    expect(result).toMatchObject({ statusCode: null, error: expect.stringContaining('Invalid URL') });
  });
});

describe('HttpSender SSRF guard (allowPrivateNetworks: false)', () => {
  it.each(['127.0.0.1', '[::ffff:127.0.0.1]', '2130706433', '0177.0.0.1'])(
    'refuses the literal %s before connecting',
    async (host) => {
      const server = await serve((_req, res) => res.end('ok'));
      const result = await post(guarded, `http://${host}:${server.port}/`);
      expect(result).toMatchObject({
        statusCode: null,
        error: 'blocked: private address',
        response: 'blocked: private address',
      });
      expect(server.stats.connections).toBe(0);
    },
  );

  it('refuses a name that resolves to loopback (system resolver)', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const result = await post(guarded, `http://localhost:${server.port}/`);
    expect(result).toMatchObject({ statusCode: null, error: 'blocked: private address' });
    expect(server.stats.connections).toBe(0);
  });

  it('refuses a name whose answers mix public and private addresses', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const resolve = jest.fn<ReturnType<Resolver>, Parameters<Resolver>>();
    resolve.mockResolvedValue(['93.184.216.34', '127.0.0.1']);
    const mixed = new HttpSender({ timeoutMs: TIMEOUT_MS, allowPrivateNetworks: false }, resolve);
    try {
      const result = await post(mixed, `http://rebind.example.test:${server.port}/`);
      expect(result).toMatchObject({ statusCode: null, error: 'blocked: private address' });
      expect(resolve).toHaveBeenCalledWith('rebind.example.test');
      expect(server.stats.connections).toBe(0);
    } finally {
      await mixed.close();
    }
  });
});

describe('guardedLookup', () => {
  const lookupWith = (resolve: Resolver, options: object) =>
    new Promise<{ error: Error | null; address: unknown; family?: number }>((done) => {
      guardedLookup(resolve)('example.com.', options, (error, address, family) =>
        done({ error, address, family }),
      );
    });
  const answering = (answers: string[]) => () => Promise.resolve(answers);
  const both = answering(['93.184.216.34', '2606:4700::1111']);

  it('hands back exactly the checked addresses, in the shape Node asks for', async () => {
    expect(await lookupWith(both, { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
      family: undefined,
    });
    expect(await lookupWith(both, {})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await lookupWith(both, { family: 6 })).toMatchObject({ address: '2606:4700::1111', family: 6 });
    // An IPv4-mapped answer is connected to as the IPv4 address it was judged as.
    const mapped = answering(['::ffff:93.184.216.34']);
    expect(await lookupWith(mapped, {})).toMatchObject({ address: '93.184.216.34', family: 4 });
  });

  it.each([
    [['127.0.0.1'], 'blocked: private address'],
    [['2606:4700::1111', 'fd00::1'], 'blocked: private address'],
    [['8.8.8.8', '::ffff:169.254.169.254'], 'blocked: private address'],
    [[], 'getaddrinfo ENOTFOUND example.com.'],
    [['junk'], 'getaddrinfo ENOTFOUND example.com.'],
  ])('refuses %j', async (answers, message) => {
    for (const options of [{ all: true }, {}]) {
      expect((await lookupWith(answering(answers), options)).error?.message).toBe(message);
    }
  });

  it('passes resolver errors through', async () => {
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
    expect((await lookupWith(() => Promise.reject(failure), { all: true })).error).toBe(failure);
  });
});

describe('describeError', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it.each([
    [withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'), 'connect ECONNREFUSED 127.0.0.1:9'],
    [withCode('other side closed', 'UND_ERR_SOCKET'), 'UND_ERR_SOCKET: other side closed'],
    [new TypeError('bad'), 'TypeError: bad'],
    [new Error('wrapped', { cause: new Error('blocked: private address') }), 'blocked: private address'],
    [
      new AggregateError([withCode('connect ECONNREFUSED ::1:9', 'ECONNREFUSED')]),
      'connect ECONNREFUSED ::1:9',
    ],
    ['a string', 'Error: a string'],
  ])('describes %p as %j', (error, text) => {
    expect(describeError(error)).toBe(text);
  });
});
