import { DataSource } from 'typeorm';
import { AppConfig, queueTarget } from '@app/config';
import { openQueue, QueueName, redisOptionsFromUrl, TypedQueue } from '@app/queue';
import { EventEnvelope, EventPublisher } from '@app/events';
import { createLogger, PinoNestLogger } from '@app/logging';
import {
  createTestApp,
  createTestContext,
  createTestDatabase,
  dropTestDatabase,
  TestApp,
  TestContext,
  testConfig,
  waitUntil,
} from '@app/testing';
// The pipeline tests drive the real API, assembled as its main.ts does, to create webhooks.
import { apiApplication } from '../../../apps/api/src/app.setup';
import { WorkerModule } from '../../../apps/worker/src/worker.module';

export { waitUntil };

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

export interface TestApi extends TestApp {
  config: AppConfig;
}

/** The API in this process, built as main.ts builds it. */
export async function createPipelineApi(env: Record<string, string>): Promise<TestApi> {
  const config = testConfig({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'false', LOG_LEVEL: 'silent', ...env });
  const { module, ...options } = apiApplication(config, createLogger('silent'));
  const api = await createTestApp(module, options);
  return { ...api, config };
}

export interface TestWorker extends TestContext {
  config: AppConfig;
}

export async function createTestWorker(env: Record<string, string>): Promise<TestWorker> {
  const config = testConfig({ WORKER_PORT: '0', HOST: '127.0.0.1', ...env });
  const logger = process.env.TEST_LOG_LEVEL ? new PinoNestLogger(createLogger(config.logLevel)) : undefined;
  const context = await createTestContext(WorkerModule.forRoot(config), logger);
  return { app: context.app, config, close: () => context.close() };
}

/** An api.created event of `owner`'s own (delivered to the owner's webhooks without apiId). */
export const ownerEvent = (owner: string): EventEnvelope => ({
  name: 'api.created',
  user: { id: owner },
  resourceType: 'Api',
  resource: { owner },
  ownerId: owner,
});

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
  const api = await createPipelineApi(env);
  const worker = await createTestWorker(env);
  const publisher = new EventPublisher(queueTarget(api.config));
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

export function eventsQueue(config: AppConfig): TypedQueue<typeof QueueName.Events> {
  return openQueue(QueueName.Events, {
    prefix: config.queuePrefix,
    connection: redisOptionsFromUrl(config.redisUrl),
  });
}

/** Polls until `check` returns a value that is not undefined/false. */
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
  const queues = [QueueName.Events, QueueName.Deliveries].map((name) =>
    openQueue(name, { prefix: config.queuePrefix, connection }),
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
