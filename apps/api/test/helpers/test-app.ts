import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import type { App } from 'supertest/types';
import { AppConfig, loadConfig } from '@app/config';
import { redisOptionsFromUrl } from '@app/queue';
import { createLogger } from '@app/logging';
import { freePort, TEST_JWT_SECRET } from '@app/testing';
import { ApiModule } from '../../src/api.module';
import { configureApiApp } from '../../src/app.setup';
import { HardenedExpressAdapter, SERVER_LIMITS, ServerLimits } from '../../src/common/http-server';

export interface TestApi {
  app: INestApplication;
  http: App;
  config: AppConfig;
  close(): Promise<void>;
}

/** The real API (real PostgreSQL from the e2e global setup), configured as main.ts does. */
export async function createTestApi(
  env: Record<string, string> = {},
  limits: ServerLimits = SERVER_LIMITS,
): Promise<TestApi> {
  const config = loadConfig({
    DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    DELIVERY_ALLOW_PRIVATE_NETWORKS: 'false',
    QUEUE_PREFIX: process.env.EVENT_API_TEST_QUEUE_PREFIX,
    RATE_LIMIT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication(new HardenedExpressAdapter(limits), {
    bodyParser: false,
    logger: false,
  });
  configureApiApp(app, createLogger('silent'));
  await app.init();
  return { app, http: app.getHttpServer() as App, config, close: () => app.close() };
}

export interface QueuedTestApi extends TestApi {
  /** The deliveries queue the API produces to, for assertions on jobs. */
  deliveries: Queue;
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
  const deliveries = new Queue('deliveries', {
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
