import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisClient, RedisTarget } from '@app/queue';

/** Reads one field of INFO output (`maxmemory_policy:noeviction`). */
function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((candidate) => candidate.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** The servers that hold queue keys: the one server, or every master of a cluster. */
async function keyHolders(client: Redis | Cluster): Promise<Array<Redis>> {
  if (!('nodes' in client)) return [client];
  await new Promise<void>((resolve, reject) => {
    if (client.status === 'ready') return resolve();
    client.once('ready', resolve);
    client.once('end', () => reject(new Error('Redis Cluster unreachable')));
  });
  return client.nodes('master');
}

/**
 * Before consuming anything: an evicting Redis may silently drop queued jobs, so anything but
 * `noeviction` is refused; no AOF only warns (the sweeper restores lost jobs from PostgreSQL).
 * On a cluster every master is checked.
 */
export async function assertRedisSuitable(target: RedisTarget, logger: Logger): Promise<void> {
  const client = createRedisClient(target, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const redis of await keyHolders(client)) {
      const where = target.cluster ? ` on ${redis.options.host}:${redis.options.port}` : '';
      const policy = infoField(await redis.info('memory'), 'maxmemory_policy');
      if (policy !== undefined && policy !== 'noeviction') {
        throw new Error(
          `Redis maxmemory-policy is "${policy}"${where}: the worker requires "noeviction" (CONFIG SET maxmemory-policy noeviction)`,
        );
      }
      if (infoField(await redis.info('persistence'), 'aof_enabled') === '0') {
        logger.warn(
          `Redis appendonly is off${where}: jobs are lost if Redis restarts; the sweeper re-enqueues them from PostgreSQL`,
        );
      }
    }
  } finally {
    client.disconnect();
  }
}
