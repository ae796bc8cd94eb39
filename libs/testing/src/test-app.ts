import { DynamicModule, INestApplication, INestApplicationContext, LoggerService } from '@nestjs/common';
import { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { App } from 'supertest/types';
import { AppConfig, loadConfig } from '@app/config';
import { TEST_JWT_SECRET } from './tokens';

/**
 * A config for a test: the run's database, Redis and queue prefix (set by the e2e global setup),
 * the test JWT secret, no rate limit or action budget, silent logs (`TEST_LOG_LEVEL` to see them); `env` overrides.
 */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: process.env.EVENT_API_TEST_QUEUE_PREFIX,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: '0',
    ACTION_DELIVERY_LIMIT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
}

export interface TestApp {
  app: INestApplication;
  /** For supertest: `request(testApp.http)`. */
  http: App;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The HTTP adapter main.ts uses (default: Nest's Express adapter). */
  adapter?: AbstractHttpAdapter;
  /** Nest's own body parser (default true; the API parses bodies itself and passes false). */
  bodyParser?: boolean;
  /** What main.ts does to the app before `listen` (filters, pipes, body parsing…). */
  configure?(app: INestApplication): void;
  /** Providers replaced by value, e.g. timings a test shortens. */
  overrides?: ReadonlyArray<{ provide: unknown; useValue: unknown }>;
}

/** An HTTP application around `module`, initialised but not listening (supertest binds it). */
export async function createTestApp(module: DynamicModule, options: TestAppOptions = {}): Promise<TestApp> {
  const builder = Test.createTestingModule({ imports: [module] });
  for (const { provide, useValue } of options.overrides ?? [])
    builder.overrideProvider(provide).useValue(useValue);
  const moduleRef = await builder.compile();
  const appOptions = { bodyParser: options.bodyParser ?? true, logger: false as const };
  const app = options.adapter
    ? moduleRef.createNestApplication(options.adapter, appOptions)
    : moduleRef.createNestApplication(appOptions);
  options.configure?.(app);
  await app.init();
  return { app, http: app.getHttpServer() as App, close: () => app.close() };
}

/** An application context (no HTTP server of Nest's) around `module`, e.g. the worker's. */
export interface TestContext {
  app: INestApplicationContext;
  close(): Promise<void>;
}

export async function createTestContext(module: DynamicModule, logger?: LoggerService): Promise<TestContext> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  if (logger) moduleRef.useLogger(logger);
  const app = await moduleRef.init();
  return { app, close: () => app.close() };
}
