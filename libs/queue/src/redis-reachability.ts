import { Cluster, Redis } from 'ioredis';
import { maskUrl } from '@app/netguard';
import { connectWithin, RedisNoAnswerError, RedisTarget } from './redis-options';

/** ioredis' own `connectTimeout` when none is given. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

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

/** What ioredis says once the connection is already lost: it tells nothing of why. */
const AFTERMATH = /^(Stream isn't writeable|Connection is closed)/;
/** A reply that is not RESP: something else (an HTTP proxy, another service) listens there. */
const NOT_REDIS = /^Protocol error/;

/** The reason for redisConnectionProblem, in words about Redis rather than about the client. */
function reasonOf(error: Error, connectTimeoutMs: number): string {
  if (error instanceof RedisNoAnswerError) return error.message;
  if (/\bETIMEDOUT\b/.test(error.message))
    return `no answer within ${connectTimeoutMs / 1000} s (${error.message})`;
  if (NOT_REDIS.test(error.message)) {
    return `what answers there is not Redis (${error.message.replace(/\.?\s*Please report this\.?$/, '')})`;
  }
  return error.message;
}

/**
 * connectWithin for start-up: a failure rejects with redisConnectionProblem's line, built from the
 * first error the client emitted that names a cause (`connect ECONNREFUSED …`), not the aftermath
 * (`Connection is closed.`, `Stream isn't writeable …`); a server that takes the connection and
 * never answers is `no answer within N s`. A cluster that never becomes ready keeps connectWithin's
 * words (it names the cluster state).
 */
export async function connectOrExplain(
  client: Redis | Cluster,
  target: RedisTarget,
  timeoutMs: number,
): Promise<void> {
  let cause: Error | undefined;
  const remember = (error: Error): void => {
    if (cause === undefined && !AFTERMATH.test(error.message)) cause = error;
  };
  client.on('error', remember);
  try {
    await connectWithin(client, timeoutMs);
  } catch (error) {
    if (client instanceof Cluster) throw error;
    const reason = reasonOf(
      cause ?? (error as Error),
      client.options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    throw new Error(redisConnectionProblem(target.redisUrl, reason), { cause: error });
  } finally {
    client.off('error', remember);
  }
}
