import { LoggerService } from '@nestjs/common';
import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { queueTarget } from '@app/config';
import { EventEnvelope, EventPublisher } from '@app/events';
import { redisOptionsFromUrl } from '@app/queue';
import {
  bearer,
  createTestContext,
  createTestDatabase,
  createWebhook,
  dropTestDatabase,
  HttpReceiver,
  mintToken,
  TestContext,
  testConfig,
} from '@app/testing';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import {
  createPipelineApi,
  ownerEvent,
  pipelineEnv,
  TestApi,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

const API_ID = '5b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';
/** Retries every 300 ms, long enough that Alice's failing deliveries are pending when she is erased. */
const RETRIES = Array.from({ length: 20 }, () => '300ms').join(',');

/** The worker's Nest log lines at warn and error, to show that erased deliveries cause none. */
class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log(): void {}
  debug(): void {}
  verbose(): void {}
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
}

/**
 * README → API → Erasure: erasing a user whose deliveries are pending (retries queued in Redis) and
 * in flight (an endpoint that hangs) — the worker finds their rows gone, sends nothing more, records
 * nothing, logs no errors; another owner's deliveries of the same events go on.
 */
describe('Erasure with deliveries pending and in flight (e2e)', () => {
  const receiver = new HttpReceiver();
  const arrivals: Array<{ path: string; at: number }> = [];
  const logger = new CapturingLogger();
  let databaseUrl: string;
  let api: TestApi;
  let worker: TestContext;
  let publisher: EventPublisher;
  let deliveriesQueue: Queue;
  let db: DataSource;

  beforeAll(async () => {
    receiver.respondWith((received, response) => {
      arrivals.push({ path: received.url, at: Date.now() });
      if (received.url === '/alice/hang') return; // never answers: the attempt is in flight
      if (received.url === '/alice/fail') {
        response.statusCode = 500;
        response.end('down');
        return;
      }
      response.end('OK');
    });
    await receiver.start();
    databaseUrl = await createTestDatabase();
    const env = pipelineEnv('erasure', {
      DATABASE_URL: databaseUrl,
      DELIVERY_RETRY_SCHEDULE: RETRIES,
      DELIVERY_TIMEOUT: '3s',
      // Alice's failing endpoint keeps being retried rather than paused (Fair delivery → Circuit).
      DELIVERY_CIRCUIT_THRESHOLD: '1000',
    });
    api = await createPipelineApi(env);
    worker = await createTestContext(
      WorkerModule.forRoot(testConfig({ WORKER_PORT: '0', HOST: '127.0.0.1', ...env })),
      logger,
    );
    publisher = new EventPublisher(queueTarget(api.config));
    deliveriesQueue = new Queue('deliveries', {
      prefix: api.config.queuePrefix,
      connection: redisOptionsFromUrl(api.config.redisUrl),
    });
    db = api.app.get(DataSource);
  });
  afterAll(async () => {
    await deliveriesQueue.close();
    await publisher.close();
    await worker.close();
    await api.close();
    await receiver.stop();
    await dropTestDatabase(databaseUrl);
  });

  const count = (path: string, after = 0) =>
    arrivals.filter((arrival) => arrival.path === path && arrival.at > after).length;

  it('sends nothing more to the erased user, records nothing, logs no errors; the other owner is served', async () => {
    const alice = `alice-${Date.now()}`;
    const aliceAuth = bearer(mintToken({ sub: alice }));
    const bobAuth = bearer(mintToken());
    const hanging = await createWebhook(api.http, aliceAuth, { url: `${receiver.url}/alice/hang` });
    const failing = await createWebhook(api.http, aliceAuth, {
      url: `${receiver.url}/alice/fail`,
      apiId: API_ID,
    });
    const bobs = await createWebhook(api.http, bobAuth, { url: `${receiver.url}/bob`, apiId: API_ID });
    const apiEvent: EventEnvelope = {
      name: 'api.created',
      user: { id: 'publisher' },
      resourceType: 'Api',
      resource: {},
      apiId: API_ID,
    };
    // Alice's own events go to the hanging endpoint; the API's events to Alice's failing one and to Bob.
    await publisher.publishBulk(Array.from({ length: 15 }, () => ownerEvent(alice)));
    const shared = await publisher.publishBulk(Array.from({ length: 10 }, () => apiEvent));

    await waitUntil(
      () =>
        Promise.resolve(
          count('/alice/hang', Date.now() - 1_000) >= 1 && count('/alice/fail') >= 20 && count('/bob') >= 10,
        ),
      20_000,
      'an attempt in flight, retries of the failing endpoint under way, Bob served',
    );
    const [due] = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = ANY($1::uuid[]) AND status = 'pending'`,
      [[hanging.id, failing.id]],
    );
    expect(due.n).toBeGreaterThan(0);
    const failingBefore = count('/alice/fail');

    const erased = await request(api.http).delete(`/users/${alice}/data`).set(aliceAuth).expect(200);
    const erasedAt = Date.now();
    // An attempt that reached the hanging endpoint within DELIVERY_TIMEOUT before: in flight now.
    expect(count('/alice/hang', erasedAt - 3_000)).toBeGreaterThan(0);

    expect(erased.body).toMatchObject({
      userId: alice,
      webhooks: 2,
      deliveries: 25,
      events: 15,
      pendingDeliveries: expect.any(Number),
    });
    expect(erased.body.pendingDeliveries).toBeGreaterThan(0);
    expect(erased.body.attempts).toBeGreaterThanOrEqual(failingBefore);

    // Every job Alice's deliveries had in Redis (retries; jobs the fair scheduler deferred for a
    // slot of the hanging endpoint, up to ~20 s ahead) is made due now and finds nothing; the
    // hanging attempts time out (DELIVERY_TIMEOUT) and find their deliveries gone.
    await waitUntil(
      async () => {
        await deliveriesQueue.promoteJobs();
        const counts = await deliveriesQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      15_000,
      'the delivery jobs of the erased deliveries to finish',
    );
    await waitForQuiet(db, api.config);
    // With retries every 300 ms the failing endpoint would have had many more by now; an attempt
    // claimed just before the erasure may still arrive a moment after it answered.
    expect(count('/alice/fail', erasedAt + 500)).toBe(0);
    expect(count('/alice/hang', erasedAt + 500)).toBe(0);
    const [left] = await db.query<Array<Record<string, number>>>(
      `SELECT (SELECT count(*)::int FROM deliveries WHERE webhook_id = ANY($1::uuid[])) AS deliveries,
              (SELECT count(*)::int FROM delivery_attempts WHERE webhook_id = ANY($1::uuid[])) AS attempts,
              (SELECT count(*)::int FROM events WHERE id = ANY($2::text[])) AS shared`,
      [[hanging.id, failing.id], shared],
    );
    expect(left).toEqual({ deliveries: 0, attempts: 0, shared: 10 });
    expect(await deliveriesQueue.getJobCounts('failed')).toEqual({ failed: 0 });
    // No error and no warning either, but the test events' own (their resources are minimal).
    expect(logger.lines.filter((line) => !line.message.includes('does not match its schema'))).toEqual([]);

    // Bob's deliveries of the same events were made, and new ones still are.
    const next = await publisher.publish(apiEvent);
    await waitUntil(async () => {
      const [row] = await db.query<Array<{ status: string }>>(
        'SELECT status FROM deliveries WHERE event_id = $1 AND webhook_id = $2',
        [next, bobs.id],
      );
      return row?.status === 'succeeded';
    });
    expect(count('/bob')).toBe(11);
  }, 60_000);
});
