import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, createWebhook, mintToken, TimedReceiver, WebhookFields } from '@app/testing';
import { Throttle } from '../../apps/worker/src/delivery/throttle';
import {
  createPipeline,
  createTestWorker,
  Pipeline,
  pipelineEnv,
  TestWorker,
  ownerEvent,
  waitUntil,
} from './helpers/pipeline';

const CIRCUIT = {
  DELIVERY_CIRCUIT_THRESHOLD: '3',
  DELIVERY_CIRCUIT_COOLDOWN: '300ms',
  DELIVERY_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms,200ms',
};

interface Tenant {
  owner: string;
  auth: Record<string, string>;
  webhookId: string;
}

async function tenant(pipeline: Pipeline, url: string, extra: WebhookFields = {}): Promise<Tenant> {
  const owner = `circuit-${Math.random().toString(36).slice(2)}`;
  const auth = bearer(mintToken({ sub: owner }));
  const created = await createWebhook(pipeline.api.http, auth, { url, events: ['api.created'], ...extra });
  return { owner, auth, webhookId: created.id };
}

async function deliveryStates(pipeline: Pipeline, webhookId: string): Promise<Record<string, number>> {
  const rows = await pipeline.dataSource.query<Array<{ status: string; n: number }>>(
    'SELECT status, count(*)::int AS n FROM deliveries WHERE webhook_id = $1 GROUP BY status',
    [webhookId],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

async function health(pipeline: Pipeline, t: Tenant): Promise<{ state: string; pausedUntil: string | null }> {
  const response = await request(pipeline.api.http).get(`/webhooks/${t.webhookId}`).set(t.auth).expect(200);
  return response.body.deliveryHealth;
}

describe('Endpoint circuit: pause, probe, resume (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new TimedReceiver();

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('circuit', CIRCUIT));
  });
  afterAll(async () => {
    await receiver.stop();
    await pipeline.close();
  });

  it('pauses an endpoint that keeps resetting, parks its backlog uncounted, and delivers it all once it recovers', async () => {
    receiver.behave('/flaky', { kind: 'reset' });
    const flaky = await tenant(pipeline, `${receiver.url}/flaky`);
    // An endpoint that worked before (one that never has would get only the retries of DELIVERY_UNPROVEN_RETRY_WINDOW).
    await pipeline.dataSource.query('UPDATE webhooks SET first_success_at = now() WHERE id = $1', [
      flaky.webhookId,
    ]);
    await pipeline.publisher.publishBulk(Array.from({ length: 10 }, () => ownerEvent(flaky.owner)));

    await waitUntil(async () => (await health(pipeline, flaky)).state === 'paused', 10_000, 'the pause');
    const paused = await health(pipeline, flaky);
    expect(Date.parse(paused.pausedUntil as string)).toBeGreaterThan(Date.now() - 5_000);
    await waitUntil(
      async () => ((await deliveryStates(pipeline, flaky.webhookId)).paused ?? 0) >= 5,
      10_000,
      'deliveries to be parked',
    );
    // Parked deliveries cost no attempts: far fewer than 10 events × 7 scheduled attempts.
    const whilePaused = receiver.count('/flaky');
    expect(whilePaused).toBeLessThan(20);

    receiver.behave('/flaky', { kind: 'ok' });
    await waitUntil(
      async () => (await deliveryStates(pipeline, flaky.webhookId)).succeeded === 10,
      15_000,
      'the backlog to be delivered',
    );
    expect(await health(pipeline, flaky)).toEqual({ state: expect.any(String), pausedUntil: null });
    expect((await health(pipeline, flaky)).state).not.toBe('paused');
    // Every attempt is in the record, numbered without gaps, and the last one of each succeeded.
    const attempts = await pipeline.dataSource.query<Array<{ numbers: number[]; last: boolean }>>(
      `SELECT array_agg(attempt ORDER BY attempt) AS numbers, bool_or(success) AS last
         FROM delivery_attempts WHERE webhook_id = $1 GROUP BY delivery_id`,
      [flaky.webhookId],
    );
    expect(attempts).toHaveLength(10);
    for (const row of attempts) {
      expect(row.numbers).toEqual(row.numbers.map((_, index) => index + 1));
      expect(row.last).toBe(true);
    }
    const all = await pipeline.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM delivery_attempts WHERE webhook_id = $1',
      [flaky.webhookId],
    );
    expect(all[0].n).toBe(receiver.count('/flaky'));
  }, 40_000);

  it('a probe that keeps failing extends the pause, and new events for it are parked at fan-out', async () => {
    receiver.behave('/down', { kind: 'reset' });
    const down = await tenant(pipeline, `${receiver.url}/down`);
    await pipeline.publisher.publishBulk(Array.from({ length: 4 }, () => ownerEvent(down.owner)));
    await waitUntil(async () => (await health(pipeline, down)).state === 'paused', 10_000, 'the pause');
    const first = Date.parse((await health(pipeline, down)).pausedUntil as string);
    const pauseCount = async () =>
      (
        await pipeline.dataSource.query<Array<{ pause_count: number }>>(
          'SELECT pause_count FROM webhooks WHERE id = $1',
          [down.webhookId],
        )
      )[0].pause_count;
    await waitUntil(async () => (await pauseCount()) >= 2, 10_000, 'a failed probe to reopen the circuit');
    // Reopened for twice the cool-down, from the failed probe on.
    const second = Date.parse((await health(pipeline, down)).pausedUntil as string);
    expect(second).toBeGreaterThan(first + 300);
    const before = await deliveryStates(pipeline, down.webhookId);
    await pipeline.publisher.publish(ownerEvent(down.owner));
    await waitUntil(
      async () => ((await deliveryStates(pipeline, down.webhookId)).paused ?? 0) > (before.paused ?? 0),
      10_000,
      'the new event to be parked',
    );
  }, 40_000);

  it('releases a delivery parked behind a circuit that had already closed (a race) at the next keeper pass', async () => {
    const raced = await tenant(pipeline, `${receiver.url}/raced`);
    const eventId = `raced-${Date.now()}`;
    await pipeline.dataSource.query(`INSERT INTO events (id, name, body) VALUES ($1, 'api.created', $2)`, [
      eventId,
      JSON.stringify({ id: eventId }),
    ]);
    await pipeline.dataSource.query(
      `INSERT INTO deliveries (event_id, webhook_id, status) VALUES ($1, $2, 'paused')`,
      [eventId, raced.webhookId],
    );
    await waitUntil(async () => receiver.arrivalOf('/raced', eventId) !== undefined, 10_000, 'the release');
    await waitUntil(
      async () => (await deliveryStates(pipeline, raced.webhookId)).succeeded === 1,
      10_000,
      'the delivery to be recorded',
    );
  });
});

describe('Endpoint circuit: an endpoint that stays down is still disabled (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new TimedReceiver();

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('circuit-disable', { ...CIRCUIT, WEBHOOK_DISABLE_AFTER: '1500ms' }),
    );
  });
  afterAll(async () => {
    await receiver.stop();
    await pipeline.close();
  });

  it('disables it as failing after WEBHOOK_DISABLE_AFTER, drops what was parked, and clears the circuit', async () => {
    receiver.behave('/dead', { kind: 'reset' });
    const dead = await tenant(pipeline, `${receiver.url}/dead`);
    await pipeline.publisher.publishBulk(Array.from({ length: 6 }, () => ownerEvent(dead.owner)));
    await waitUntil(async () => (await health(pipeline, dead)).state === 'paused', 10_000, 'the pause');
    const disabled = await waitUntil(
      async () => {
        const response = await request(pipeline.api.http).get(`/webhooks/${dead.webhookId}`).set(dead.auth);
        return response.body.active === false ? response.body : undefined;
      },
      20_000,
      'the webhook to be disabled',
    );
    expect(disabled.disabledReason).toBe('failing');
    expect(disabled.deliveryHealth).toEqual({ state: expect.any(String), pausedUntil: null });
    const states = await deliveryStates(pipeline, dead.webhookId);
    expect(states.pending ?? 0).toBe(0);
    expect(states.paused ?? 0).toBe(0);
    expect((states.failed ?? 0) + (states.dropped ?? 0)).toBe(6);
  }, 40_000);
});

describe('Per-webhook rateLimit across two workers (e2e)', () => {
  let pipeline: Pipeline;
  let second: TestWorker;
  const receiver = new TimedReceiver();

  beforeAll(async () => {
    await receiver.start();
    const env = pipelineEnv('throttle');
    pipeline = await createPipeline(env);
    second = await createTestWorker({ ...env, DATABASE_URL: pipeline.worker.config.databaseUrl });
  });
  afterAll(async () => {
    await receiver.stop();
    await second.close();
    await pipeline.close();
  });

  it('reserves slots for any rate, including those that do not divide a second', async () => {
    const throttle = pipeline.worker.app.get(Throttle);
    const webhookId = randomUUID();
    const waits = [];
    for (let i = 0; i < 4; i += 1) waits.push(await throttle.reserve(webhookId, 3));
    expect(waits[0]).toBe(0);
    // One slot every 333.3 ms (a few ms of the calls themselves between them).
    expect(waits[3]).toBeGreaterThanOrEqual(950);
    expect(waits[3]).toBeLessThanOrEqual(1_000);
    expect(await throttle.reserve(randomUUID(), 10_000)).toBe(0);
  });

  it('delivers everything, at most rateLimit a second, none failed or dropped', async () => {
    const limited = await tenant(pipeline, `${receiver.url}/limited`, { rateLimit: 5 });
    const publishedAt = Date.now();
    await pipeline.publisher.publishBulk(Array.from({ length: 15 }, () => ownerEvent(limited.owner)));
    await waitUntil(async () => receiver.count('/limited') >= 15, 20_000, 'all 15 deliveries');
    const times = receiver.arrivals
      .filter((arrival) => arrival.path === '/limited')
      .map((arrival) => arrival.at)
      .sort((a, b) => a - b);
    // Five a second: each delivery waits for its own slot, 200 ms after the one before, so the n-th
    // never arrives sooner than n slots after publishing (a delivery woken late only arrives later).
    times.forEach((at, n) => expect(at - publishedAt).toBeGreaterThanOrEqual(n * 200 - 20));
    // The 15th answer reaches the receiver a moment before its attempt is recorded: wait for the rows.
    const states = await waitUntil(async () => {
      const found = await deliveryStates(pipeline, limited.webhookId);
      return found.pending === undefined ? found : undefined;
    });
    expect(states).toEqual({ succeeded: 15 });
    const [{ n }] = await pipeline.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM delivery_attempts WHERE webhook_id = $1',
      [limited.webhookId],
    );
    expect(n).toBe(15);
    expect(new Set(receiver.arrivals.filter((a) => a.path === '/limited').map((a) => a.webhookId)).size).toBe(
      15,
    );
  }, 40_000);
});
