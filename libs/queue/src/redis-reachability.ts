import { Cluster, Redis } from 'ioredis';
import { maskUrl } from '@app/netguard';
import { connectWithin, RedisTarget } from './redis-options';

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

/**
 * The one line for a Redis that cannot be used: where (the URL, password masked), why, and what
 * to change. ioredis alone says `Connection is closed.`, which names neither Redis nor the variable.
 */
export function redisConnectionProblem(redisUrl: string, cause: string): string {
  const reason = cause.replace(/\.+$/, '');
  const where = `Redis at ${maskUrl(redisUrl)} (REDIS_URL)`;
  if (AUTH_FAILURE.test(reason)) {
    return `${where} refused the login: ${reason}. Check the user name and password in REDIS_URL`;
  }
  return `Cannot reach ${where}: ${reason}. Start Redis there, or set REDIS_URL to where it runs`;
}

/**
 * connectWithin for start-up: a failure rejects with redisConnectionProblem's line, built from the
 * last error the client emitted (`connect ECONNREFUSED …`), not connect()'s own `Connection is closed.`.
 * A cluster that never becomes ready keeps connectWithin's words (it names the cluster state).
 */
export async function connectOrExplain(
  client: Redis | Cluster,
  target: RedisTarget,
  timeoutMs: number,
): Promise<void> {
  let lastError: Error | undefined;
  const remember = (error: Error): void => {
    lastError = error;
  };
  client.on('error', remember);
  try {
    await connectWithin(client, timeoutMs);
  } catch (error) {
    if (client instanceof Cluster) throw error;
    const reason = lastError?.message ?? (error as Error).message;
    throw new Error(redisConnectionProblem(target.redisUrl, reason), { cause: error });
  } finally {
    client.off('error', remember);
  }
}
