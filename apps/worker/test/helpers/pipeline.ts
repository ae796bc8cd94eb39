import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@app/config';
import { redisOptionsFromUrl } from '@app/queue';
import { EventPublisher } from '@app/events';
import { createLogger, PinoNestLogger } from '@app/logging';
import { createTestDatabase, dropTestDatabase, TEST_JWT_SECRET } from '@app/testing';
import { createTestApi, TestApi } from '../../../api/test/helpers/test-app';
import { WorkerModule } from '../../src/worker.module';

/** Short schedules so retries happen in milliseconds; every file gets its own queue prefix. */
export function pipelineEnv(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-${name}`,
    DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    DELIVERY_RETRY_SCHEDULE: '200ms,200ms,200ms',
    DELIVERY_TIMEOUT: '1s',
    DELIVERY_SWEEP_INTERVAL: '300ms',
    ...overrides,
  };
}

export interface TestWorker {
  app: INestApplicationContext;
  config: AppConfig;
  close(): Promise<void>;
}

export async function createTestWorker(env: Record<string, string>): Promise<TestWorker> {
  const config = loadConfig({
    DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WORKER_PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
  if (process.env.TEST_LOG_LEVEL) moduleRef.useLogger(new PinoNestLogger(createLogger(config.logLevel)));
  const app = await moduleRef.init();
  return { app, config, close: () => app.close() };
}

/** API + worker + publisher on one queue prefix. */
export interface Pipeline {
  api: TestApi;
  worker: TestWorker;
  publisher: EventPublisher;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * Each pipeline gets its own database unless one is given: sweepers and outbox relays work on
 * whole tables, and must not move another test file's rows into their own queue prefix.
 */
export async function createPipeline(settings: Record<string, string>): Promise<Pipeline> {
  const ownDatabase = settings.DATABASE_URL ? undefined : await createTestDatabase();
  const env = ownDatabase ? { ...settings, DATABASE_URL: ownDatabase } : settings;
  const api = await createTestApi(env);
  const worker = await createTestWorker(env);
  const publisher = new EventPublisher({ redisUrl: api.config.redisUrl, prefix: api.config.queuePrefix });
  return {
    api,
    worker,
    publisher,
    dataSource: api.app.get(DataSource),
    close: async () => {
      await publisher.close();
      await worker.close();
      await api.close();
      if (ownDatabase) await dropTestDatabase(ownDatabase);
    },
  };
}

export function eventsQueue(config: AppConfig): Queue {
  return new Queue('events', {
    prefix: config.queuePrefix,
    connection: redisOptionsFromUrl(config.redisUrl),
  });
}

/** Polls until `check` returns a value that is not undefined/false. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the pipeline has nothing left to do: the outbox relayed, no event or delivery job
 * waiting or running, no delivery due or mid-attempt. Then "nothing more happened" can be asserted
 * on a final state instead of after a sleep.
 */
export async function waitForQuiet(
  dataSource: DataSource,
  config: AppConfig,
  timeoutMs = 10_000,
): Promise<void> {
  const connection = redisOptionsFromUrl(config.redisUrl);
  const queues = ['events', 'deliveries'].map(
    (name) => new Queue(name, { prefix: config.queuePrefix, connection }),
  );
  try {
    await waitUntil(
      async () => {
        const [row] = await dataSource.query<Array<{ outbox: number; due: number }>>(
          `SELECT (SELECT count(*)::int FROM event_outbox) AS outbox,
                  (SELECT count(*)::int FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()) AS due`,
        );
        if (row.outbox > 0 || row.due > 0) return false;
        const counts = await Promise.all(
          queues.map((queue) => queue.getJobCounts('waiting', 'active', 'prioritized')),
        );
        return counts.every((count) => Object.values(count).every((n) => n === 0));
      },
      timeoutMs,
      'the pipeline to go quiet',
    );
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
