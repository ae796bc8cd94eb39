import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { openQueue, QueueName, redisOptionsFromUrl, TypedQueue } from '@app/queue';
import { createLogger } from '@app/logging';
import { createTestApp, freePort, TestApp, testConfig } from '@app/testing';
import { apiApplication } from '../../src/app.setup';
import { SERVER_LIMITS, ServerLimits } from '@app/http';

export interface TestApi extends TestApp {
  config: AppConfig;
}

/** The real API (real PostgreSQL from the e2e global setup), configured as main.ts does. */
export async function createTestApi(
  env: Record<string, string> = {},
  limits: ServerLimits = SERVER_LIMITS,
): Promise<TestApi> {
  const config = testConfig({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'false', LOG_LEVEL: 'silent', ...env });
  const { module, ...options } = apiApplication(config, createLogger('silent'), limits);
  const api = await createTestApp(module, options);
  return { ...api, config };
}

export interface QueuedTestApi extends TestApi {
  /** The deliveries queue the API produces to, for assertions on jobs. */
  deliveries: TypedQueue<typeof QueueName.Deliveries>;
  dataSource: DataSource;
}

/**
 * An API on its own queue prefix (under the run's, so the global teardown deletes it): no worker
 * of another test file consumes the jobs this file looks for.
 */
export async function createQueuedTestApi(
  name: string,
  env: Record<string, string> = {},
): Promise<QueuedTestApi> {
  const api = await createTestApi({
    DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}:${name}`,
    ...env,
  });
  const deliveries = openQueue(QueueName.Deliveries, {
    prefix: api.config.queuePrefix,
    connection: redisOptionsFromUrl(api.config.redisUrl),
  });
  return {
    ...api,
    deliveries,
    dataSource: api.app.get(DataSource),
    close: async () => {
      await deliveries.close();
      await api.close();
    },
  };
}

/** An API whose Redis is unreachable from the start (a free port nobody listens on). */
export async function createOfflineTestApi(queuePrefix: string): Promise<TestApi> {
  return createTestApi({
    DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    QUEUE_PREFIX: queuePrefix,
    REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
  });
}
