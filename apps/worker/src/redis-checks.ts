import Redis from 'ioredis';
import type { Logger } from 'pino';
import { redisOptionsFromUrl } from '@app/queue';

/** Reads one field of INFO output (`maxmemory_policy:noeviction`). */
function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((candidate) => candidate.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/**
 * Before consuming anything: an evicting Redis may silently drop queued jobs, so anything but
 * `noeviction` is refused; no AOF only warns (the sweeper restores lost jobs from PostgreSQL).
 */
export async function assertRedisSuitable(redisUrl: string, logger: Logger): Promise<void> {
  const redis = new Redis({ ...redisOptionsFromUrl(redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const policy = infoField(await redis.info('memory'), 'maxmemory_policy');
    if (policy !== undefined && policy !== 'noeviction') {
      throw new Error(
        `Redis maxmemory-policy is "${policy}": the worker requires "noeviction" (CONFIG SET maxmemory-policy noeviction)`,
      );
    }
    if (infoField(await redis.info('persistence'), 'aof_enabled') === '0') {
      logger.warn(
        'Redis appendonly is off: jobs are lost if Redis restarts; the sweeper re-enqueues them from PostgreSQL',
      );
    }
  } finally {
    redis.disconnect();
  }
}
