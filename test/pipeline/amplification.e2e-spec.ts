import request from 'supertest';
import { Redis } from 'ioredis';
import { ACTION_BUDGET, WindowBudget } from '@app/budget';
import { bearer, createWebhook, CreatedWebhook, HttpReceiver, mintToken, PrivateRedis } from '@app/testing';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics';
import {
  createPipeline,
  ownerEvent,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

/** ACTION_DELIVERY_LIMIT of this file: deliveries a user's own actions may cause in 10 minutes. */
const BUDGET = 40;
/** Webhooks of the owner's listening to operational events. */
const WATCHERS = 10;
const OPERATIONAL = ['webhook.failing', 'webhook.recovered', 'delivery.exhausted'];

/**
 * README → API → Rate limits: what a user's own actions make the service send, operational events
 * about them included, is bounded by ACTION_DELIVERY_LIMIT. The audit's case: an endpoint that
 * answers 500, pinged again and again, with ten webhooks subscribed to the events its failures cause.
 */
describe("Amplification: operational events caused by a user's own actions (e2e)", () => {
  let pipeline: Pipeline;
  /** How the target answers each attempt, by the attempt's number (1-based); 500 when not listed. */
  let answerOf: (attempt: number) => number = () => 500;
  let targetAttempts = 0;
  const receiver = new HttpReceiver((incoming, response) => {
    if (incoming.url === '/target') {
      targetAttempts += 1;
      response.statusCode = answerOf(targetAttempts);
    } else response.statusCode = 200;
    response.end();
  });

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('amplification', {
        ACTION_DELIVERY_LIMIT: `${BUDGET}/10m`,
        // A URL that never answered 2xx gets no retry; one that did, none within this test.
        DELIVERY_UNPROVEN_RETRY_WINDOW: '0',
        DELIVERY_RETRY_SCHEDULE: '1h',
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });
  beforeEach(() => {
    targetAttempts = 0;
    answerOf = () => 500;
  });

  async function owner(label: string) {
    const sub = `amp-${label}-${Math.random().toString(36).slice(2)}`;
    const auth = bearer(mintToken({ sub }));
    const target = await createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/target` });
    const watchers: CreatedWebhook[] = [];
    for (let i = 0; i < WATCHERS; i += 1) {
      watchers.push(
        await createWebhook(pipeline.api.http, auth, {
          url: `${receiver.url}/watch-${i}`,
          events: OPERATIONAL,
        }),
      );
    }
    return { sub, auth, target, watchers };
  }

  /** Deliveries to the owner's webhooks, by event name. */
  async function deliveriesOf(sub: string): Promise<Record<string, number>> {
    const rows = await pipeline.dataSource.query<Array<{ name: string; n: number }>>(
      `SELECT e.name, count(*)::int AS n FROM deliveries d
         JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
        WHERE w.owner_id = $1 GROUP BY e.name`,
      [sub],
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.n]));
  }

  async function suppressed(event: string): Promise<number> {
    const metric = await pipeline.worker.app.get(WorkerMetrics).operationalSuppressed.get();
    return metric.values.find((value) => value.labels.event === event)?.value ?? 0;
  }

  it('20 pings to an endpoint answering 500, 10 webhooks listening: never more deliveries than the budget', async () => {
    const o = await owner('pings');
    // Every fifth attempt succeeds: each run of four failures sends webhook.failing, each success after
    // it webhook.recovered, to the ten watchers (ten deliveries each), until the budget is spent.
    answerOf = (attempt) => (attempt % 5 === 0 ? 200 : 500);
    const suppressedBefore = await suppressed('webhook.recovered');
    const statuses: number[] = [];
    for (let ping = 1; ping <= 20; ping += 1) {
      const response = await request(pipeline.api.http).post(`/webhooks/${o.target.id}/ping`).set(o.auth);
      statuses.push(response.status);
      if (response.status !== 202) continue;
      // One attempt at a time, its operational events written, before the next ping.
      await waitUntil(async () => targetAttempts >= ping, 10_000, `attempt ${ping}`);
      await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    }
    const sent = await deliveriesOf(o.sub);
    // Pings 1–4 (4) + failing (10) + ping 5 (1) + recovered (10) + pings 6–9 (4) + failing (10) +
    // ping 10 (1) = 40: the budget. The second recovered (10 more) is suppressed; pings 11–20 are 429.
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.slice(10).every((status) => status === 429)).toBe(true);
    expect(sent).toEqual({
      'webhook.ping': 10,
      'webhook.failing': 2 * WATCHERS,
      'webhook.recovered': WATCHERS,
    });
    expect(Object.values(sent).reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(BUDGET);
    expect((await suppressed('webhook.recovered')) - suppressedBefore).toBe(1);
  }, 60_000);

  it('webhook.disabled is published even with the budget spent (the system always says it disabled a webhook), and still counted', async () => {
    const sub = `amp-gone-${Math.random().toString(36).slice(2)}`;
    const auth = bearer(mintToken({ sub }));
    const target = await createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/target` });
    const watcher = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/watch-disabled`,
      events: ['webhook.disabled'],
    });
    answerOf = () => 410;
    const config = pipeline.api.config;
    const budget = new WindowBudget(config, config.actionDeliveryLimit, ACTION_BUDGET);
    await budget.onApplicationBootstrap();
    try {
      // All but the ping's own delivery spent: the ping is accepted, nothing is left after it.
      await budget.consume(sub, BUDGET - 1);
      const suppressedBefore = await suppressed('webhook.disabled');
      await request(pipeline.api.http).post(`/webhooks/${target.id}/ping`).set(auth).expect(202);
      await waitUntil(
        async () => (await deliveriesOf(sub))['webhook.disabled'] === 1,
        10_000,
        'webhook.disabled',
      );
      await waitForQuiet(pipeline.dataSource, pipeline.api.config);
      const [row] = await pipeline.dataSource.query<Array<{ status: string; attempts: number }>>(
        `SELECT d.status, d.attempts FROM deliveries d JOIN events e ON e.id = d.event_id
          WHERE d.webhook_id = $1 AND e.name = 'webhook.disabled'`,
        [watcher.id],
      );
      expect(row).toEqual({ status: 'succeeded', attempts: 1 });
      expect((await suppressed('webhook.disabled')) - suppressedBefore).toBe(0);
      // Counted all the same: the ping's delivery and the event's one on top of what was spent.
      const redis = new Redis(config.redisUrl);
      try {
        expect(await redis.get(`${config.queuePrefix}:${ACTION_BUDGET}:${sub}`)).toBe(String(BUDGET + 1));
      } finally {
        redis.disconnect();
      }
    } finally {
      budget.onApplicationShutdown();
    }
  }, 30_000);

  it('a ping never publishes delivery.exhausted, however it ends', async () => {
    const o = await owner('exhausted');
    for (let ping = 1; ping <= 3; ping += 1) {
      await request(pipeline.api.http).post(`/webhooks/${o.target.id}/ping`).set(o.auth).expect(202);
    }
    await waitUntil(async () => targetAttempts >= 3, 10_000, 'three attempts');
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    const [ended] = await pipeline.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'failed'`,
      [o.target.id],
    );
    expect(ended.n).toBe(3);
    expect(await deliveriesOf(o.sub)).toEqual({ 'webhook.ping': 3 });
  }, 30_000);

  it('a recovered delivery that fails again publishes no second delivery.exhausted', async () => {
    const o = await owner('recover');
    const since = new Date(Date.now() - 60_000).toISOString();
    await pipeline.publisher.publish(ownerEvent(o.sub));
    await waitUntil(
      async () => (await deliveriesOf(o.sub))['delivery.exhausted'] === WATCHERS,
      10_000,
      'exhausted',
    );
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    const recovered = await request(pipeline.api.http)
      .post(`/webhooks/${o.target.id}/recover`)
      .set(o.auth)
      .send({ since })
      .expect(202);
    expect(recovered.body).toEqual({ deliveries: 1 });
    await waitUntil(async () => targetAttempts >= 2, 10_000, 'the recovered attempt');
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    const [delivery] = await pipeline.dataSource.query<Array<{ status: string; attempts: number }>>(
      `SELECT status, attempts FROM deliveries WHERE webhook_id = $1`,
      [o.target.id],
    );
    expect(delivery).toEqual({ status: 'failed', attempts: 2 });
    expect(await deliveriesOf(o.sub)).toEqual({ 'api.created': 1, 'delivery.exhausted': WATCHERS });
  }, 30_000);
});

/**
 * README → Security (amplification): the worker charges an owner's operational events in the
 * transaction that records the attempt, holding its webhook's row lock; a Redis that takes the
 * connection and never answers must not hold that lock (and the recording) for ever.
 */
describe('Amplification: the budget when Redis hangs (e2e, a private Redis paused)', () => {
  let redis: PrivateRedis;
  let pipeline: Pipeline;
  let attempts = 0;
  let held: (() => void) | undefined;
  let heldArrived: () => void = () => undefined;
  const receiver = new HttpReceiver((incoming, response) => {
    if (incoming.url !== '/target') {
      response.end();
      return;
    }
    attempts += 1;
    const answer = () => {
      response.statusCode = 500;
      response.end();
    };
    // The 4th failure in a row sends webhook.failing: held until the test has paused Redis.
    if (attempts === 4) {
      held = answer;
      heldArrived();
    } else answer();
  });

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('amplification-hang', {
        REDIS_URL: redis.url,
        ACTION_DELIVERY_LIMIT: `${BUDGET}/10m`,
        DELIVERY_UNPROVEN_RETRY_WINDOW: '0',
        DELIVERY_RETRY_SCHEDULE: '1h',
      }),
    );
  });
  afterAll(async () => {
    redis.resume();
    await pipeline.close();
    await receiver.stop();
    await redis.dispose();
  });

  it('an attempt whose operational event is charged is recorded at once while Redis answers nothing', async () => {
    const sub = `amp-hang-${Math.random().toString(36).slice(2)}`;
    const auth = bearer(mintToken({ sub }));
    const target = await createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/target` });
    const watcher = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/watch-failing`,
      events: ['webhook.failing'],
    });
    const recorded = async () => {
      const [row] = await pipeline.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM delivery_attempts WHERE webhook_id = $1`,
        [target.id],
      );
      return row.n;
    };
    for (let ping = 1; ping <= 3; ping += 1) {
      await request(pipeline.api.http).post(`/webhooks/${target.id}/ping`).set(auth).expect(202);
      await waitUntil(async () => (await recorded()) === ping, 10_000, `attempt ${ping} recorded`);
    }
    const arrived = new Promise<void>((resolve) => (heldArrived = resolve));
    await request(pipeline.api.http).post(`/webhooks/${target.id}/ping`).set(auth).expect(202);
    await arrived;
    const fallbacks = pipeline.worker.app.get(WorkerMetrics).operationalBudgetFallbacks;
    const fallbacksBefore = (await fallbacks.get()).values[0]?.value ?? 0;
    redis.pause();
    try {
      const started = Date.now();
      held?.();
      await waitUntil(async () => (await recorded()) === 4, 3_000, 'the 4th attempt recorded');
      // The charge waited at most its timeout (500 ms), then the worker's own count answered.
      expect(Date.now() - started).toBeLessThan(2_000);
      const [outbox] = await pipeline.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM event_outbox WHERE envelope->>'name' = 'webhook.failing'`,
      );
      expect(outbox.n).toBe(1);
      expect(((await fallbacks.get()).values[0]?.value ?? 0) - fallbacksBefore).toBeGreaterThanOrEqual(1);
    } finally {
      redis.resume();
    }
    // Redis back: the event goes out as usual.
    await waitUntil(
      async () => {
        const [row] = await pipeline.dataSource.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'succeeded'`,
          [watcher.id],
        );
        return row.n === 1;
      },
      10_000,
      'webhook.failing delivered',
    );
  }, 40_000);
});
