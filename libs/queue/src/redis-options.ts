import type { ConnectionOptions } from 'bullmq';
import Redis, { Cluster, RedisOptions } from 'ioredis';

/** Connection settings from a redis:// or rediss:// URL, accepted by ioredis and BullMQ alike. */
export interface RedisConnectionSettings {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

export function redisOptionsFromUrl(redisUrl: string): RedisConnectionSettings {
  const url = new URL(redisUrl);
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Where Redis is: one server, or (`cluster`) any node of a Redis Cluster, which names the others. */
export interface RedisTarget {
  redisUrl: string;
  cluster?: boolean;
}

/**
 * For clients with a fallback (health probes, the rate limiter's insurance, producers the sweeper or
 * the outbox backs up): a command fails at once while Redis is away instead of waiting in a queue.
 */
export const FAIL_FAST: Readonly<RedisOptions> = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

/** Options that belong to the cluster client itself rather than to each node's connection. */
const CLUSTER_LEVEL = ['enableOfflineQueue', 'lazyConnect'] as const;

/**
 * An ioredis client for `target`. For a cluster: an ioredis `Cluster` seeded with the URL's node,
 * reaching every node with the URL's credentials and TLS (a cluster has no databases: `db` is
 * dropped) and following MOVED/ASK redirections.
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): Redis | Cluster {
  const settings: RedisOptions = { ...redisOptionsFromUrl(target.redisUrl), ...options };
  if (!target.cluster) return new Redis(settings);
  const { host, port, db: _db, ...perNode } = settings;
  const clusterLevel: Record<string, unknown> = {};
  for (const key of CLUSTER_LEVEL) {
    if (perNode[key] !== undefined) clusterLevel[key] = perNode[key];
    delete perNode[key];
  }
  return new Cluster([{ host: host as string, port: port as number }], {
    ...clusterLevel,
    redisOptions: perNode,
    // TLS certificates name the host a node is reached by, not the IP the cluster announces.
    ...(settings.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  });
}

/**
 * What to hand BullMQ as `connection`: plain options for one server (BullMQ opens and closes its
 * own connections), an ioredis `Cluster` for a cluster (BullMQ only builds single-server clients
 * from options). A cluster client stays ours to close: close the queue or worker with `closeBullClient`.
 */
export function bullConnection(target: RedisTarget, options: RedisOptions = {}): ConnectionOptions {
  if (!target.cluster) return { ...redisOptionsFromUrl(target.redisUrl), ...options } as ConnectionOptions;
  const cluster = createRedisClient(target, options) as Cluster;
  cluster.on('error', () => undefined);
  return cluster;
}

/** Closes a connection `bullConnection` created as a client (a no-op for plain options). */
async function releaseConnection(connection: unknown): Promise<void> {
  if (connection instanceof Cluster) await connection.quit().catch(() => connection.disconnect());
}

/** Closes a BullMQ queue or worker, then the client `bullConnection` made for it, even if the close failed. */
export async function closeBullClient(bull: {
  close(): Promise<unknown>;
  opts: { connection?: unknown };
}): Promise<void> {
  try {
    await bull.close();
  } finally {
    await releaseConnection(bull.opts.connection);
  }
}

/** connectWithin's rejection when the server took the connection but did not answer in time. */
export class RedisNoAnswerError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`);
  }
}

/**
 * Connects a lazily created client and resolves once it can take commands, or rejects after
 * `timeoutMs`: a server that accepts the connection and never answers would otherwise hold
 * `connect()` forever. The client is left as it is (it may still connect later); the caller
 * decides whether to disconnect it. For a cluster `connect()` itself is not awaited: when the
 * cluster reports `cluster_state:fail` (a master down, still forming) ioredis retries with a new
 * promise and the first one never settles, which would hang start-up without a word.
 */
export async function connectWithin(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  let ready: (() => void) | undefined;
  const connecting =
    client instanceof Cluster
      ? new Promise<void>((resolve) => {
          ready = () => resolve();
          client.connect().catch(() => undefined);
          client.once('ready', ready);
        })
      : client.connect();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          client instanceof Cluster
            ? new Error(`Redis Cluster not ready within ${timeoutMs} ms (is cluster_state ok?)`)
            : new RedisNoAnswerError(timeoutMs),
        ),
      timeoutMs,
    );
  });
  // What connect() says after the deadline (`Connection is closed.` once the caller disconnects) is not news.
  connecting.catch(() => undefined);
  try {
    await Promise.race([connecting, deadline]);
  } finally {
    clearTimeout(timer);
    // Past the deadline nobody waits for it: a client retried often must not gather listeners.
    if (ready) client.off('ready', ready);
  }
}
