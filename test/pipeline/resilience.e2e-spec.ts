import {
  createTestDatabase,
  deleteQueueKeys,
  dropTestDatabase,
  HttpReceiver,
  RunningProcess,
  waitForOutput,
  PrivateRedis,
  ReceiverHandler,
} from '@app/testing';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { QueueName, redisOptionsFromUrl } from '@app/queue';
import { WorkerQueues } from '../../apps/worker/src/worker-queues';
import { createTestWorker, pipelineEnv, TestWorker, waitUntil } from './helpers/pipeline';
import { createScenario, InFlight, pairKey, REDIS_URL, Scenario, spawnWorker } from './helpers/resilience';

/** Output of a process that shut down cleanly: no error-level log line, nothing unhandled. */
const CRASH = /unhandled|uncaught|"level":(50|60)|failed to start/i;

/**
 * Waits until every delivery has had its first attempt and `count` retries are scheduled: only then
 * are the delayed jobs all retries (before, some may be deliveries the fair scheduler deferred while
 * a new endpoint was on probation).
 */
async function waitForRetries(s: Scenario, webhookIds: string[], queue: Queue, count: number): Promise<void> {
  await waitUntil(
    async () => {
      const rows = await s.deliveries(webhookIds);
      const retrying =
        rows.length === count && rows.every((row) => row.status === 'pending' && row.attempts === 1);
      return retrying && (await queue.getDelayedCount()) === count;
    },
    10_000,
    `${count} retries`,
  );
}

/** A receiver answer that fails each (webhook, event) pair's first attempt and accepts the next. */
function failFirstAttempt(): ReceiverHandler {
  const answered = new Set<string>();
  return (incoming, response) => {
    const key = pairKey(incoming);
    response.statusCode = answered.has(key) ? 200 : 500;
    answered.add(key);
    response.end();
  };
}

describe('Worker resilience (e2e: built processes, real PostgreSQL and Redis)', () => {
  const receiver = new HttpReceiver();
  // Every worker's sweeper re-enqueues any due delivery of its database that has no job under *its*
  // prefix: on the run's shared database, parallel test files would deliver each other's deliveries.
  let databaseUrl: string;
  let cleanups: Array<() => Promise<unknown>> = [];
  const later = <T>(value: T, cleanup: (value: T) => Promise<unknown>): T => {
    cleanups.push(() => cleanup(value));
    return value;
  };
  const scenario = async (n: number, overrides: Record<string, string> = {}): Promise<Scenario> =>
    later(await createScenario(pipelineEnv(`resil-${n}`, { DATABASE_URL: databaseUrl, ...overrides })), (s) =>
      s.close(),
    );
  const worker = async (env: Record<string, string>): Promise<RunningProcess> =>
    later(await spawnWorker(env), async (running) => {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
      await running.exited;
    });
  const inProcessWorker = async (env: Record<string, string>): Promise<TestWorker> =>
    later(await createTestWorker(env), (w) => w.close());
  const privateRedis = async (args: string[]): Promise<PrivateRedis> =>
    later(await PrivateRedis.start(args), (redis) => redis.dispose());

  beforeAll(async () => {
    // A database of its own on the run's PostgreSQL server, dropped at the end.
    databaseUrl = await createTestDatabase(process.env.EVENT_API_TEST_DATABASE_URL);
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });
  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    for (const cleanup of pending) await cleanup();
  });

  it('a worker SIGKILLed mid-run loses nothing: every pair arrives, duplicates carry the same webhook-id', async () => {
    const s = await scenario(1, { DELIVERY_RETRY_SCHEDULE: '200ms,200ms' });
    const inFlight = new InFlight();
    receiver.respondWith(inFlight.holding(300));
    const paths = ['/a', '/b', '/c', '/d', '/e'];
    const webhookIds = await s.createWebhooks(paths.map((path) => `${receiver.url}${path}`));
    const env = { ...s.env, DELIVERY_CONCURRENCY: '10' };
    const first = await worker(env);
    const eventIds = await s.publish(20);

    await receiver.waitFor(15, 20_000);
    // Held by the receiver, so not yet answered: the killed worker cannot have recorded these.
    const cut = [...inFlight.current].map(pairKey);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(cut.length).toBeGreaterThan(0);
    expect(receiver.requests.length).toBeLessThan(100);

    await worker(env);
    const expected = eventIds.flatMap((id) => paths.map((path) => `${path} ${id}`));
    await waitUntil(
      async () => {
        const rows = await s.deliveries(webhookIds);
        return rows.length === expected.length && rows.every((row) => row.status === 'succeeded');
      },
      30_000,
      'every delivery to succeed',
    );
    const seen = receiver.requests.map(pairKey);
    expect(new Set(seen)).toEqual(new Set(expected));
    // What was cut off was sent again, under the same webhook-id.
    for (const key of cut) expect(seen.filter((candidate) => candidate === key).length).toBeGreaterThan(1);
    for (const incoming of receiver.requests) {
      expect(JSON.parse(incoming.body).id).toBe(incoming.headers['webhook-id']);
    }
    expect(new Set(receiver.requests.map((r) => r.headers['x-apitree-delivery'])).size).toBe(seen.length);
  }, 45_000);

  it('the sweeper restores every delivery after the queue keys are deleted from Redis', async () => {
    const s = await scenario(2, { DELIVERY_RETRY_SCHEDULE: '2s,200ms' });
    receiver.respondWith(failFirstAttempt());
    const webhookIds = await s.createWebhooks(['/x', '/y', '/z'].map((path) => `${receiver.url}${path}`));
    const w = await inProcessWorker(s.env);
    const queue = w.app.get(WorkerQueues).deliveries.queue;
    await s.publish(4);

    await waitForRetries(s, webhookIds, queue, 12);
    expect(await deleteQueueKeys(REDIS_URL, s.env.QUEUE_PREFIX)).toBeGreaterThan(0);
    expect(await queue.getDelayedCount()).toBe(0);

    await waitUntil(
      async () => (await s.deliveries(webhookIds)).every((row) => row.status === 'succeeded'),
      15_000,
      'the restored deliveries to succeed',
    );
    expect(await s.deliveries(webhookIds)).toEqual(Array(12).fill({ status: 'succeeded', attempts: 2 }));
    const seen = receiver.requests.map(pairKey);
    expect(new Set(seen).size).toBe(12);
    expect(seen).toHaveLength(24);
  }, 30_000);

  it('a job whose hash alone was deleted reaches the worker without data: no error, restored, delivered once more', async () => {
    const s = await scenario(7, { DELIVERY_RETRY_SCHEDULE: '1s,200ms' });
    receiver.respondWith(failFirstAttempt());
    const webhookIds = await s.createWebhooks(['/p', '/q'].map((path) => `${receiver.url}${path}`));
    const running = await worker(s.env);
    await waitForOutput(running, /worker started/);
    const queue = later(
      new Queue(QueueName.Deliveries, {
        prefix: s.env.QUEUE_PREFIX,
        connection: redisOptionsFromUrl(REDIS_URL),
      }),
      (q) => q.close(),
    );
    await s.publish(3);
    await waitForRetries(s, webhookIds, queue, 6);
    // What deleting keys one by one can leave: the retries' ids still scheduled, their hashes gone.
    const ids = await queue.getDelayed().then((jobs) => jobs.map((job) => job.id as string));
    const client = (await queue.getBackend().client) as unknown as Redis;
    expect(await client.del(...ids.map((id) => queue.toKey(id)))).toBe(6);

    await waitUntil(
      async () => (await s.deliveries(webhookIds)).every((row) => row.status === 'succeeded'),
      15_000,
      'the restored deliveries to succeed',
    );
    expect(await s.deliveries(webhookIds)).toEqual(Array(6).fill({ status: 'succeeded', attempts: 2 }));
    expect(receiver.requests).toHaveLength(12);
    expect(running.output()).toMatch(/has no readable data in Redis; left to the sweeper/);
    expect(running.output()).not.toMatch(CRASH);
  }, 30_000);

  it('SIGTERM lets an in-flight attempt finish and record its 200 before the worker exits', async () => {
    const s = await scenario(3, { DELIVERY_TIMEOUT: '3s' });
    let answeredAt = 0;
    receiver.respondWith((_incoming, response) => {
      response.on('finish', () => (answeredAt = Date.now()));
      setTimeout(() => response.end('OK'), 800);
    });
    const [webhookId] = await s.createWebhooks([`${receiver.url}/slow`]);
    const running = await worker(s.env);
    await waitForOutput(running, /worker started/);
    const [eventId] = await s.publish(1);

    const [incoming] = await receiver.waitFor(1);
    expect(answeredAt).toBe(0);
    running.child.kill('SIGTERM');
    // Nest closes the app, then re-raises SIGTERM.
    expect([0, 'SIGTERM']).toContain(await running.exited);
    expect(answeredAt).toBeGreaterThan(0);

    const attempts = await s.dataSource.query(
      'SELECT id, success, status_code, event_id FROM delivery_attempts WHERE webhook_id = $1',
      [webhookId],
    );
    expect(attempts).toEqual([
      { id: incoming.headers['x-apitree-delivery'], success: true, status_code: 200, event_id: eventId },
    ]);
    expect(await s.deliveries([webhookId])).toEqual([{ status: 'succeeded', attempts: 1 }]);
    expect(running.output()).toMatch(/"msg":"delivery attempt"/);
    expect(running.output()).not.toMatch(CRASH);
    expect(receiver.requests).toHaveLength(1);
  }, 20_000);

  it('refuses a Redis whose maxmemory-policy is not noeviction, and only warns when appendonly is off', async () => {
    const s = await scenario(4);
    const evicting = await privateRedis(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
    const refused = await worker({ ...s.env, REDIS_URL: evicting.url });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/^.*maxmemory-policy.*noeviction.*$/m);
    expect(refused.output()).not.toMatch(/worker started/);

    const volatile = await privateRedis(['--maxmemory-policy', 'noeviction', '--appendonly', 'no']);
    const accepted = await worker({ ...s.env, REDIS_URL: volatile.url });
    await waitForOutput(accepted, /worker started/);
    const warning = accepted
      .output()
      .split('\n')
      .find((line) => line.includes('appendonly'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning as string)).toMatchObject({ level: 40 });
    accepted.child.kill('SIGTERM');
    expect([0, 'SIGTERM']).toContain(await accepted.exited);
    expect(accepted.output()).not.toMatch(CRASH);
  }, 30_000);

  it('DELIVERY_CONCURRENCY bounds the attempts in flight, across origins', async () => {
    const s = await scenario(5, { DELIVERY_CONCURRENCY: '2' });
    const inFlight = new InFlight();
    // One receiver per webhook: the per-origin connection pool cannot be what limits concurrency.
    const receivers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const own = later(new HttpReceiver(inFlight.holding(300)), (r) => r.stop());
        await own.start();
        return own;
      }),
    );
    const webhookIds = await s.createWebhooks(receivers.map((r) => `${r.url}/hook`));
    await inProcessWorker(s.env);
    await s.publish(1);

    await Promise.all(receivers.map((r) => r.waitFor(1)));
    await waitUntil(
      async () => (await s.deliveries(webhookIds)).every((row) => row.status === 'succeeded'),
      10_000,
      'all six deliveries',
    );
    expect(await s.deliveries(webhookIds)).toHaveLength(6);
    expect(inFlight.max).toBe(2);
    expect(receivers.map((r) => r.requests.length)).toEqual([1, 1, 1, 1, 1, 1]);
  }, 20_000);
});
