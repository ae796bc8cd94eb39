import { randomUUID } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, isIP, LookupFunction, Server, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import request from 'supertest';
import { BLOCKED_PRIVATE_ADDRESS, checkUrlTarget, Resolver } from '@app/netguard';
import { bearer, mintToken } from '@app/testing';
import { HttpSender } from '../../apps/worker/src/delivery/http-sender';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

/** The guard's other half (README → Security): at delivery time, not one connection reaches a private address. */

const HAS_IPV6_LOOPBACK = Object.values(networkInterfaces())
  .flat()
  .some((entry) => entry?.address === '::1');
if (!HAS_IPV6_LOOPBACK) {
  console.warn('dispatch-guard: no ::1 on this machine, the IPv6 canary cases are skipped');
}
const itIPv6 = HAS_IPV6_LOOPBACK ? it : it.skip;
/** The rows this machine can run: without ::1 the IPv6 ones are left out (see the warning). */
const runnable = <T extends { ipv6?: boolean }>(rows: T[]): T[] =>
  rows.filter((row) => HAS_IPV6_LOOPBACK || !row.ipv6);

/** A TCP listener that counts every connection, and answers HTTP 200 to anyone who gets through. */
class Canary {
  connections = 0;
  private readonly server: Server = createServer();

  constructor(readonly host: '127.0.0.1' | '::1') {
    this.server.on('connection', (socket) => {
      this.connections += 1;
      socket.on('error', () => undefined);
      socket.once('data', () =>
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK'),
      );
    });
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => resolve());
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

const v4 = new Canary('127.0.0.1');
const v6 = new Canary('::1');
const canaryConnections = () => ({ v4: v4.connections, v6: v6.connections });
const NONE = { v4: 0, v6: 0 };

beforeAll(async () => {
  await v4.start();
  if (HAS_IPV6_LOOPBACK) await v6.start();
});
afterAll(async () => {
  await v4.stop();
  await v6.stop();
});

describe('canaries (control)', () => {
  let sender: HttpSender;
  beforeAll(() => (sender = new HttpSender({ timeoutMs: 2_000, allowPrivateNetworks: true })));
  afterAll(async () => {
    await sender.close();
    v4.connections = 0;
    v6.connections = 0;
  });

  it('127.0.0.1 counts a connection and answers 200 when private networks are allowed', async () => {
    const result = await sender.send(`http://127.0.0.1:${v4.port}/`, '{}', {});
    expect(result).toMatchObject({ statusCode: 200, response: 'OK', error: null });
    expect(v4.connections).toBe(1);
  });

  itIPv6('::1 counts a connection and answers 200 when private networks are allowed', async () => {
    const result = await sender.send(`http://[::1]:${v6.port}/`, '{}', {});
    expect(result).toMatchObject({ statusCode: 200, response: 'OK', error: null });
    expect(v6.connections).toBe(1);
  });
});

describe('a URL stored before the rule is blocked at delivery (pipeline, e2e)', () => {
  let pipeline: Pipeline;
  const auth = bearer(mintToken({ sub: `dispatch-guard-${Date.now()}` }));

  beforeAll(async () => {
    pipeline = await createPipeline(
      pipelineEnv('dispatch-guard', { DELIVERY_ALLOW_PRIVATE_NETWORKS: 'false' }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
  });

  const spellings = runnable<{ label: string; spell: () => string; ipv6?: boolean }>([
    { label: '127.0.0.1', spell: () => `http://127.0.0.1:${v4.port}/` },
    { label: '[::1]', spell: () => `http://[::1]:${v6.port}/`, ipv6: true },
    { label: 'decimal dword 2130706433', spell: () => `http://2130706433:${v4.port}/` },
    { label: 'octal 0177.0.0.1', spell: () => `http://0177.0.0.1:${v4.port}/` },
    { label: 'IPv4-mapped [::ffff:127.0.0.1]', spell: () => `http://[::ffff:127.0.0.1]:${v4.port}/` },
    { label: 'localhost', spell: () => `http://localhost:${v4.port}/` },
    { label: 'localhost. (trailing dot)', spell: () => `http://localhost.:${v4.port}/` },
  ]);

  it.each(spellings)('$label', async ({ spell }) => {
    const apiId = randomUUID();
    const created = await request(pipeline.api.http)
      .post('/webhooks')
      .set(auth)
      .send({ url: 'https://hooks.example/x', events: [{ name: 'api.created' }], apiId })
      .expect(201);
    const url = spell();
    await pipeline.dataSource.query('UPDATE webhooks SET url = $1 WHERE id = $2', [url, created.body.id]);
    const stored = await request(pipeline.api.http).get(`/webhooks/${created.body.id}`).set(auth).expect(200);
    expect(stored.body.url).toBe(url);

    const eventId = await pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'dispatch-guard' },
      resourceType: 'Api',
      resource: { id: apiId },
      apiId,
    });
    // The first attempt and a retry: neither may connect.
    const attempts = await waitUntil(
      async () => {
        const rows = await pipeline.dataSource.query(
          'SELECT event_id, success, status_code, response, error FROM delivery_attempts WHERE webhook_id = $1',
          [created.body.id],
        );
        // Two attempts, or one that was not blocked (then the assertion below says what happened).
        const through = rows.some((row: { error: string | null }) => row.error !== BLOCKED_PRIVATE_ADDRESS);
        return rows.length >= 2 || through ? rows : undefined;
      },
      10_000,
      'two delivery attempts',
    );
    for (const attempt of attempts) {
      expect(attempt).toEqual({
        event_id: eventId,
        success: false,
        status_code: null,
        response: BLOCKED_PRIVATE_ADDRESS,
        error: BLOCKED_PRIVATE_ADDRESS,
      });
    }
    const after = await request(pipeline.api.http).get(`/webhooks/${created.body.id}`).set(auth).expect(200);
    expect(after.body.lastDelivery).toMatchObject({
      success: false,
      statusCode: null,
      response: BLOCKED_PRIVATE_ADDRESS,
    });
    expect(canaryConnections()).toEqual(NONE);
  });
});

/**
 * Safety net for the resolver tests, which hand the sender a public address too: should the guard
 * ever let it through, the socket gets an error here instead of reaching past loopback.
 */
function loopbackOnlySockets(): { leaks: string[]; restore(): void } {
  const leaks: string[] = [];
  const isLoopback = (address: string) => address === '::1' || address.startsWith('127.');
  const original = Socket.prototype.connect;
  const spy = jest.spyOn(Socket.prototype, 'connect').mockImplementation(function (this: Socket, ...args) {
    const first: unknown = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as
      { host?: string; lookup?: LookupFunction; path?: string } | undefined;
    if (options && typeof options === 'object' && options.path === undefined) {
      const host = options.host ?? 'localhost';
      if (isIP(host) && !isLoopback(host)) {
        leaks.push(host);
        options.host = 'refused.invalid';
        options.lookup = (_name, _options, callback) => callback(new Error(`test refused ${host}`), '');
      } else if (options.lookup) {
        const inner = options.lookup;
        options.lookup = (name, lookupOptions, callback) =>
          inner(name, lookupOptions, (error, address, family) => {
            const list = Array.isArray(address) ? address.map((a: LookupAddress) => a.address) : [address];
            const outside = error ? [] : list.filter((a) => !isLoopback(a));
            if (outside.length === 0) return callback(error, address, family);
            leaks.push(...outside);
            callback(new Error(`test refused ${outside.join(', ')}`), Array.isArray(address) ? [] : '');
          });
      }
    }
    return original.apply(this, args);
  });
  return { leaks, restore: () => spy.mockRestore() };
}

describe('DNS answers checked at the connection (HttpSender with an injected resolver)', () => {
  const PUBLIC = '93.184.216.34';
  let sender: HttpSender;
  let net: ReturnType<typeof loopbackOnlySockets>;
  const resolverCalls: string[] = [];
  let answers: (call: number) => string[] = () => [];
  const resolver: Resolver = async (hostname) => {
    resolverCalls.push(hostname);
    return answers(resolverCalls.length);
  };

  beforeAll(() => {
    net = loopbackOnlySockets();
    sender = new HttpSender({ timeoutMs: 2_000, allowPrivateNetworks: false }, resolver);
  });
  afterAll(async () => {
    await sender.close();
    net.restore();
  });
  beforeEach(() => {
    resolverCalls.length = 0;
  });
  afterEach(() => {
    expect(net.leaks).toEqual([]);
    expect(canaryConnections()).toEqual(NONE);
  });

  const rebinds = runnable<{ later: string[]; canary: () => Canary; ipv6?: boolean }>([
    { later: ['127.0.0.1'], canary: () => v4 },
    { later: ['::1'], canary: () => v6, ipv6: true },
    { later: ['::1', '127.0.0.1'], canary: () => v6, ipv6: true },
  ]);

  it.each(rebinds)('public at create, $later at delivery → blocked', async ({ later, canary }) => {
    answers = (call) => (call === 1 ? [PUBLIC] : later);
    const url = `http://rebind.example.test:${canary().port}/`;
    const atCreate = await checkUrlTarget(url, resolver);
    expect(atCreate.ok).toBe(true);
    expect(resolverCalls).toEqual(['rebind.example.test']);

    const result = await sender.send(url, '{}', { 'content-type': 'application/json' });
    expect(result).toEqual({
      statusCode: null,
      response: BLOCKED_PRIVATE_ADDRESS,
      error: BLOCKED_PRIVATE_ADDRESS,
      durationMs: expect.any(Number),
    });
    // Delivery asked DNS again rather than trusting the create-time answer.
    expect(resolverCalls.length).toBeGreaterThanOrEqual(2);
  });

  const mixes = runnable<{ mix: string[]; canary: () => Canary; ipv6?: boolean }>([
    { mix: [PUBLIC, '127.0.0.1'], canary: () => v4 },
    { mix: ['127.0.0.1', PUBLIC], canary: () => v4 },
    { mix: [PUBLIC, '::1'], canary: () => v6, ipv6: true },
    { mix: ['2606:4700::1111', '::ffff:127.0.0.1'], canary: () => v4 },
  ]);

  it.each(mixes)('answers $mix, public and private mixed → refused whole', async ({ mix, canary }) => {
    answers = () => mix;
    const url = `http://mixed.example.test:${canary().port}/`;
    expect(await checkUrlTarget(url, resolver)).toMatchObject({ ok: false, reason: 'private' });
    const result = await sender.send(url, '{}', {});
    expect(result).toMatchObject({ statusCode: null, error: BLOCKED_PRIVATE_ADDRESS });
    expect(resolverCalls).toEqual(['mixed.example.test', 'mixed.example.test']);
  });
});
