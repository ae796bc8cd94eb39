import { createServer, Server, Socket } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { createRedisClient, FAIL_FAST } from './redis-options';
import { connectOrExplain, redisConnectionProblem } from './redis-reachability';

describe('redisConnectionProblem: one line with where, why and what to change', () => {
  it('names Redis, the URL with its password masked, the error and the fix', () => {
    const line = redisConnectionProblem(
      'rediss://default:hunter2-secret@cache.internal:6380/2',
      'connect ECONNREFUSED 10.0.0.6:6380',
    );
    expect(line).toBe(
      'Cannot reach Redis at rediss://default:••••@cache.internal:6380/2 (REDIS_URL): connect ECONNREFUSED 10.0.0.6:6380. Start Redis there, or set REDIS_URL to where it runs',
    );
  });

  it('does not double the full stop of an error that ends with one', () => {
    expect(redisConnectionProblem('redis://127.0.0.1:1', 'Connection is closed.')).toContain(
      'Connection is closed. Start Redis there',
    );
  });

  it('points at the credentials when Redis refuses the login', () => {
    expect(
      redisConnectionProblem(
        'redis://:hunter2-secret@127.0.0.1:6379',
        'WRONGPASS invalid username-password pair or user is disabled.',
      ),
    ).toBe(
      'Redis at redis://:••••@127.0.0.1:6379 (REDIS_URL) refused the login: WRONGPASS invalid username-password pair or user is disabled. Check the user name and password in REDIS_URL',
    );
  });
});

describe('connectOrExplain: a server that is not a working Redis, in words', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  /** What the listener does with each connection: nothing (silent), or answer like a web server. */
  let onConnection: (socket: Socket) => void;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterEach(() => sockets.forEach((socket) => socket.destroy()));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The start-up line for this listener with a client as the API (first) or the worker opens it. */
  async function problem(options: RedisOptions): Promise<string> {
    const target = { redisUrl: `redis://127.0.0.1:${port}` };
    const client = createRedisClient(target, { lazyConnect: true, ...options });
    client.on('error', () => undefined);
    try {
      await connectOrExplain(client, target, 500);
      return 'connected';
    } catch (error) {
      return (error as Error).message;
    } finally {
      client.disconnect();
    }
  }
  const CLIENTS: Array<[string, RedisOptions]> = [
    ['the API start-up check', { ...FAIL_FAST, connectTimeout: 500, retryStrategy: () => null }],
    ["the worker's health connection", { ...FAIL_FAST }],
    ["the worker's Redis checks", { maxRetriesPerRequest: 1 }],
  ];

  it.each(CLIENTS)(
    'a listener that takes the connection and never answers: no answer within the timeout (%s)',
    async (_, options) => {
      onConnection = () => undefined;
      const started = Date.now();
      expect(await problem(options)).toBe(
        `Cannot reach Redis at redis://127.0.0.1:${port} (REDIS_URL): no answer within 0.5 s. Start Redis there, or set REDIS_URL to where it runs`,
      );
      expect(Date.now() - started).toBeLessThan(2_000);
    },
  );

  it.each(CLIENTS)(
    'a listener that answers as a web server: not Redis, without ioredis aftermath (%s)',
    async (_, options) => {
      onConnection = (socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      const line = await problem(options);
      expect(line).toMatch(
        new RegExp(
          `^Cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): what answers there is not Redis \\(Protocol error, got "H" as reply type byte\\)\\. Start Redis there`,
        ),
      );
      expect(line).not.toMatch(/Stream isn't writeable|enableOfflineQueue|Please report/);
    },
  );
});
