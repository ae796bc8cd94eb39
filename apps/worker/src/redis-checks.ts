import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectOrExplain, createRedisClient, RedisTarget } from '@app/queue';

/** Reads one field of INFO output (`maxmemory_policy:noeviction`). */
function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((candidate) => candidate.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** Start-up waits this long for Redis (a cluster: until `cluster_state:ok`), then gives up loudly. */
export const REDIS_READY_TIMEOUT_MS = 20_000;

/**
 * The servers that hold queue keys or may come to: the one server, or every node of a cluster,
 * replicas included (one promoted after a failover must not evict either).
 */
function keyHolders(client: Redis | Cluster): Array<Redis> {
  return 'nodes' in client ? client.nodes('all') : [client];
}

/**
 * Before consuming anything: an evicting Redis may silently drop queued jobs, so anything but
 * `noeviction` is refused; no AOF only warns (the sweeper restores lost jobs from PostgreSQL), or
 * logs at debug when a development launcher has said so in its own line (`appendonlyStated`:
 * DEVELOPMENT_LAUNCH names `appendonly`, README → Quick start). On a cluster every node is checked.
 */
export async function assertRedisSuitable(
  target: RedisTarget,
  logger: Logger,
  appendonlyStated = false,
): Promise<void> {
  const client = createRedisClient(target, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await connectOrExplain(client, target, REDIS_READY_TIMEOUT_MS);
    for (const redis of keyHolders(client)) {
      const where = target.cluster ? ` on ${redis.options.host}:${redis.options.port}` : '';
      const policy = infoField(await redis.info('memory'), 'maxmemory_policy');
      if (policy !== undefined && policy !== 'noeviction') {
        throw new Error(
          `Redis maxmemory-policy is "${policy}"${where}: the worker requires "noeviction" (CONFIG SET maxmemory-policy noeviction)`,
        );
      }
      if (infoField(await redis.info('persistence'), 'aof_enabled') === '0') {
        const line = `Redis appendonly is off${where}: jobs are lost if Redis restarts; the sweeper re-enqueues them from PostgreSQL`;
        if (appendonlyStated) logger.debug(line);
        else logger.warn(line);
      }
    }
  } finally {
    client.disconnect();
  }
}
