import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { App } from 'supertest/types';
import { AppConfig, loadConfig } from '@app/config';
import { createLogger } from '@app/logging';
import { TEST_JWT_SECRET } from '@app/testing';
import { ApiModule } from '../../src/api.module';
import { configureApiApp } from '../../src/app.setup';

export interface TestApi {
  app: INestApplication;
  http: App;
  config: AppConfig;
  close(): Promise<void>;
}

/** The real API (real PostgreSQL from the e2e global setup), configured as main.ts does. */
export async function createTestApi(env: Record<string, string> = {}): Promise<TestApi> {
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
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
  configureApiApp(app, createLogger('silent'));
  await app.init();
  return { app, http: app.getHttpServer() as App, config, close: () => app.close() };
}
