import type { Logger } from 'pino';
import { connectOrExplain, createRedisClient, FAIL_FAST, RedisTarget } from '@app/queue';

/** As long as the health probe waits: a start-up check must not hold anything up for long. */
const CHECK_TIMEOUT_MS = 3_000;

/**
 * The API works without Redis (rate limits count per instance, lifecycle events wait in the
 * outbox, pings and redeliveries are picked up by the sweeper), and an API that exits whenever
 * Redis restarts would turn a Redis blip into an outage. So an unreachable Redis at start is one
 * clear warning, not an exit.
 */
export async function warnIfRedisUnreachable(target: RedisTarget, logger: Logger): Promise<void> {
  const client = createRedisClient(target, {
    ...FAIL_FAST,
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    retryStrategy: () => null,
    connectionName: 'event-api-startup-check',
  });
  client.on('error', () => undefined);
  try {
    await connectOrExplain(client, target, CHECK_TIMEOUT_MS);
  } catch (error) {
    logger.warn(
      `${(error as Error).message}; until then the API keeps answering, lifecycle events wait in PostgreSQL and GET /health reports redis "down"`,
    );
  } finally {
    client.disconnect();
  }
}
