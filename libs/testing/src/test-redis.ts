import Redis from 'ioredis';

/** Deletes the keys under one test prefix (and its per-file extensions) (SCAN + DEL: never FLUSHDB on a shared server). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  if (!/^event-api-test-/.test(prefix)) throw new Error(`refusing to delete keys under ${prefix}`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
