import { randomUUID } from 'node:crypto';
import { LoggerService } from '@nestjs/common';
import { Queue } from 'bullmq';
import request from 'supertest';
import { Client } from 'pg';
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
  ReceivedRequest,
  TestContext,
  testConfig,
} from '@app/testing';
import { DeliveryProcessor } from '../../apps/worker/src/delivery/delivery.processor';
import { AttemptRecord, DeliveryStore } from '../../apps/worker/src/delivery/delivery.store';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import {
  createPipeline,
  createPipelineApi,
  eventsQueue,
  ownerEvent,
  Pipeline,
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
      pendingDeliveries: expect.any(Number),
    });
    // Her 15 events, the webhook.created of each of her two webhooks and (once fanned out) the
    // webhook.failing of the failing one: ownerId Alice, all of it.
    expect([17, 18]).toContain(erased.body.events);
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
              (SELECT count(*)::int FROM events WHERE id = ANY($2::text[]) AND erased_at IS NULL) AS shared`,
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

/**
 * README → API → Erasure, the stored event bodies: every event whose ownerId or user.id is the user
 * goes, wherever it went (its webhooks' lifecycle events too), as a tombstone that keeps a re-publish
 * of its id from delivering anything; another owner's deliveries still to send are never sent.
 */
describe('Erasure of stored event bodies (e2e)', () => {
  let pipeline: Pipeline;
  const arrivedAt = new Map<ReceivedRequest, number>();
  const receiver = new HttpReceiver((received, response) => {
    arrivedAt.set(received, Date.now());
    response.statusCode = received.url.startsWith('/down') ? 500 : 200;
    response.end();
  });

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('erasure-bodies', { DELIVERY_RETRY_SCHEDULE: RETRIES, DELIVERY_CIRCUIT_THRESHOLD: '1000' }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const person = (label: string) => {
    const sub = `${label}-${randomUUID()}`;
    return { sub, auth: bearer(mintToken({ sub, nickname: `${label}-nick` })) };
  };
  const erase = (who: { sub: string; auth: Record<string, string> }) =>
    request(pipeline.api.http).delete(`/users/${who.sub}/data`).set(who.auth).expect(200);
  /** Stored events by name whose body or owner names `sub` (an erased one names nothing). */
  const eventsOf = async (sub: string) =>
    pipeline.dataSource.query<Array<{ id: string; name: string }>>(
      `SELECT id, name FROM events WHERE owner_id = $1 OR user_id = $1 OR strpos(body, $1) > 0 ORDER BY name, id`,
      [sub],
    );
  const untilStored = (sub: string, n: number) =>
    waitUntil(
      async () => (await eventsOf(sub)).length >= n || undefined,
      10_000,
      `${n} stored events of ${sub}`,
    );
  const tombstones = (ids: string[]) =>
    pipeline.dataSource.query<Array<{ id: string; body: string; erased: boolean }>>(
      'SELECT id, body, erased_at IS NOT NULL AS erased FROM events WHERE id = ANY($1) ORDER BY id',
      [ids],
    );

  it('A: one webhook created, then erased: its webhook.created body (nickname, custom, URL) goes and is counted', async () => {
    const dana = person('dana');
    await createWebhook(pipeline.api.http, dana.auth, {
      url: `${receiver.url}/dana-hook`,
      custom: JSON.stringify({ note: `private note of ${dana.sub}` }),
    });
    await untilStored(dana.sub, 1);
    const [created] = await eventsOf(dana.sub);
    expect(created.name).toBe('webhook.created');

    const report = await erase(dana);
    expect(report.body).toMatchObject({ userId: dana.sub, webhooks: 1, deliveries: 0, events: 1 });
    expect(await eventsOf(dana.sub)).toEqual([]);
    expect(await tombstones([created.id])).toEqual([{ id: created.id, body: '', erased: true }]);
    const [left] = await pipeline.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM events WHERE strpos(body, 'dana-nick') > 0 OR strpos(body, '/dana-hook') > 0`,
    );
    expect(left.n).toBe(0);
    expect((await erase(dana)).body).toMatchObject({ webhooks: 0, events: 0 });
  });

  it('B: three events delivered, the webhook deleted, then erased: those bodies go, with both lifecycle events', async () => {
    const eve = person('eve');
    const hook = await createWebhook(pipeline.api.http, eve.auth, { url: `${receiver.url}/eve-hook` });
    const ids = await pipeline.publisher.publishBulk([
      ownerEvent(eve.sub),
      ownerEvent(eve.sub),
      ownerEvent(eve.sub),
    ]);
    await waitUntil(
      async () => receiver.requests.filter((r) => r.url === '/eve-hook').length >= 3,
      10_000,
      'three deliveries',
    );
    await request(pipeline.api.http).delete(`/webhooks/${hook.id}`).set(eve.auth).expect(204);
    await untilStored(eve.sub, 5);
    expect((await eventsOf(eve.sub)).map((event) => event.name)).toEqual([
      'api.created',
      'api.created',
      'api.created',
      'webhook.created',
      'webhook.deleted',
    ]);

    const report = await erase(eve);
    expect(report.body).toMatchObject({ userId: eve.sub, webhooks: 0, deliveries: 0, events: 5 });
    expect(await eventsOf(eve.sub)).toEqual([]);
    expect((await tombstones(ids)).map((row) => [row.body, row.erased])).toEqual([
      ['', true],
      ['', true],
      ['', true],
    ]);

    // Published again with the same id and content: delivered once already, never again (the job
    // completes), not even to a webhook Eve makes afterwards.
    const again = await createWebhook(pipeline.api.http, eve.auth, { url: `${receiver.url}/eve-again` });
    const events = eventsQueue(pipeline.api.config);
    try {
      await pipeline.publisher.publish({ ...ownerEvent(eve.sub), id: `${ids[0]}` });
      // A fresh id of hers goes through, so the one above has been fanned out by then.
      const fresh = await pipeline.publisher.publish(ownerEvent(eve.sub));
      await waitUntil(
        async () =>
          receiver.requests.some((r) => r.url === '/eve-again' && r.headers['webhook-id'] === fresh),
        10_000,
        'the fresh event',
      );
      await waitForQuiet(pipeline.dataSource, pipeline.api.config);
      expect(
        receiver.requests.filter((r) => r.url === '/eve-again').map((r) => r.headers['webhook-id']),
      ).toEqual([fresh]);
      const rows = await pipeline.dataSource.query(
        'SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1',
        [again.id],
      );
      expect(rows[0].n).toBe(1);
      expect(await events.getJobCounts('failed')).toEqual({ failed: 0 });
    } finally {
      await events.close();
    }
  }, 30_000);

  it('fan-out keeps user.id beside the body only where it is not the owner: the owner finds the rest', async () => {
    const ivy = person('ivy');
    const jay = person('jay');
    const own = await pipeline.publisher.publish(ownerEvent(ivy.sub));
    const caused = await pipeline.publisher.publish({ ...ownerEvent(ivy.sub), user: { id: jay.sub } });
    const stored = await waitUntil(async () => {
      const rows = await pipeline.dataSource.query<Array<{ id: string; owner: string; user: string | null }>>(
        'SELECT id, owner_id AS owner, user_id AS user FROM events WHERE id = ANY($1)',
        [[own, caused]],
      );
      return rows.length === 2 ? new Map(rows.map((row) => [row.id, row])) : undefined;
    });
    expect(stored.get(own)).toMatchObject({ owner: ivy.sub, user: null });
    expect(stored.get(caused)).toMatchObject({ owner: ivy.sub, user: jay.sub });
    // Each is erased with whoever it names.
    expect((await erase(jay)).body).toMatchObject({ events: 1 });
    expect((await erase(ivy)).body).toMatchObject({ events: 1 });
    expect((await tombstones([own, caused])).map((row) => row.erased)).toEqual([true, true]);
  });

  it("another owner's delivery of an event the user caused, still retrying, is dropped and never sent again", async () => {
    const gina = person('gina');
    const hank = person('hank');
    const hanks = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/down-hank` });
    const done = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/hank-ok` });
    // Gina acted (user.id); the event is Hank's (ownerId): his failing endpoint retries it.
    const caused: EventEnvelope = { ...ownerEvent(hank.sub), user: { id: gina.sub, nickname: 'gina-nick' } };
    const [eventId] = await pipeline.publisher.publishBulk([caused]);
    await waitUntil(
      async () => receiver.requests.filter((r) => r.url === '/down-hank').length >= 2,
      10_000,
      'retries to Hank',
    );
    await waitUntil(async () => receiver.requests.some((r) => r.url === '/hank-ok'), 10_000, 'the other one');

    const report = await erase(gina);
    const erasedAt = Date.now();
    expect(report.body).toMatchObject({ userId: gina.sub, webhooks: 0, events: 1, droppedDeliveries: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    // At most the attempt in flight at that moment; no retry after it.
    const later = receiver.requests.filter(
      (r) => r.url === '/down-hank' && (arrivedAt.get(r) ?? 0) > erasedAt + 500,
    );
    expect(later).toEqual([]);
    const statuses = await pipeline.dataSource.query<Array<{ webhook_id: string; status: string }>>(
      'SELECT webhook_id, status FROM deliveries WHERE event_id = $1',
      [eventId],
    );
    expect(Object.fromEntries(statuses.map((row) => [row.webhook_id, row.status]))).toEqual({
      [hanks.id]: 'dropped',
      [done.id]: 'succeeded',
    });
    expect(await tombstones([eventId])).toEqual([{ id: eventId, body: '', erased: true }]);
    // Hank keeps his delivery log of it.
    const log = await request(pipeline.api.http)
      .get(`/webhooks/${hanks.id}/deliveries`)
      .set(hank.auth)
      .expect(200);
    expect(log.body.items.length).toBeGreaterThanOrEqual(2);
  }, 30_000);
});

/**
 * README → API → Erasure (Deliveries in flight): an erasure that drops another owner's delivery while
 * its attempt is under way. The attempt ends after the erasure has committed; its record keeps the
 * delivery dropped (no retry, no delivery.exhausted) and stores no body of the erased event.
 */
describe("Erasure while another owner's attempt is in flight (e2e)", () => {
  let pipeline: Pipeline;
  let release: (() => void) | undefined;
  const receiver = new HttpReceiver((received, response) => {
    if (received.url !== '/held') {
      response.end('OK');
      return;
    }
    // The first attempt fails at once; the second (the last of the schedule) is held until released.
    const fail = () => {
      response.statusCode = 500;
      response.end('down');
    };
    if (receiver.requests.filter((r) => r.url === '/held').length === 1) fail();
    else release = fail;
  });

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('erasure-in-flight', {
        DELIVERY_RETRY_SCHEDULE: '200ms',
        DELIVERY_TIMEOUT: '10s',
        DELIVERY_CIRCUIT_THRESHOLD: '1000',
      }),
    );
  });
  afterAll(async () => {
    release?.();
    await pipeline.close();
    await receiver.stop();
  });

  it('the attempt ends after the erasure: the delivery stays dropped, nothing of the body is stored, no delivery.exhausted', async () => {
    const gina = `gina-${randomUUID()}`;
    const hank = `hank-${randomUUID()}`;
    const hankAuth = bearer(mintToken({ sub: hank }));
    const marker = `private-${randomUUID()}`;
    const held = await createWebhook(pipeline.api.http, hankAuth, { url: `${receiver.url}/held` });
    await createWebhook(pipeline.api.http, hankAuth, {
      url: `${receiver.url}/watch`,
      events: ['delivery.exhausted'],
    });
    // Gina acted (user.id); the event is Hank's (ownerId).
    const [eventId] = await pipeline.publisher.publishBulk([
      { ...ownerEvent(hank), user: { id: gina }, resource: { owner: hank, note: marker } },
    ]);
    await waitUntil(() => Promise.resolve(release), 10_000, 'the last attempt held by the receiver');

    const erased = await request(pipeline.api.http)
      .delete(`/users/${gina}/data`)
      .set(bearer(mintToken({ sub: gina })))
      .expect(200);
    expect(erased.body).toMatchObject({ events: 1, droppedDeliveries: 1 });
    release?.();

    const [delivery] = await pipeline.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM deliveries WHERE webhook_id = $1 AND event_id = $2',
      [held.id, eventId],
    );
    // The attempt's record: made, numbered, without a body.
    await waitUntil(
      async () =>
        (
          await pipeline.dataSource.query<Array<{ n: number }>>(
            'SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = $1',
            [delivery.id],
          )
        )[0].n === 2,
      10_000,
      'the held attempt recorded',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);

    const [state] = await pipeline.dataSource.query<
      Array<{ status: string; attempts: number; exhausted: boolean }>
    >('SELECT status, attempts, exhausted_at IS NOT NULL AS exhausted FROM deliveries WHERE id = $1', [
      delivery.id,
    ]);
    expect(state).toEqual({ status: 'dropped', attempts: 2, exhausted: false });
    const attempts = await pipeline.dataSource.query<Array<{ attempt: number; body: string | null }>>(
      'SELECT attempt, request_body AS body FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt',
      [delivery.id],
    );
    expect(attempts).toEqual([
      { attempt: 1, body: null },
      { attempt: 2, body: null },
    ]);
    const [found] = await pipeline.dataSource.query<Array<{ n: number }>>(
      `SELECT ((SELECT count(*) FROM events e WHERE e::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM event_outbox o WHERE o::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM delivery_attempts a WHERE a::text LIKE '%' || $1 || '%'))::int AS n`,
      [marker],
    );
    expect(found.n).toBe(0);
    const [exhausted] = await pipeline.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM events WHERE name = 'delivery.exhausted' AND strpos(body, $1) > 0`,
      [delivery.id],
    );
    expect(exhausted.n).toBe(0);
    expect(receiver.requests.filter((r) => r.url === '/watch')).toEqual([]);
    expect(receiver.requests.filter((r) => r.url === '/held')).toHaveLength(2);
  }, 30_000);

  it('a rendering recorded after the erasure committed, by an attempt that began before it, is not stored', async () => {
    const gina = `gina-${randomUUID()}`;
    const hank = `hank-${randomUUID()}`;
    const hankAuth = bearer(mintToken({ sub: hank }));
    const hook = await createWebhook(pipeline.api.http, hankAuth, { url: `${receiver.url}/ok` });
    const [eventId] = await pipeline.publisher.publishBulk([{ ...ownerEvent(hank), user: { id: gina } }]);
    const delivery = await waitUntil(async () => {
      const [row] = await pipeline.dataSource.query<Array<{ id: string; status: string }>>(
        'SELECT id, status FROM deliveries WHERE webhook_id = $1 AND event_id = $2',
        [hook.id, eventId],
      );
      return row?.status === 'succeeded' ? row : undefined;
    });
    const rendering = `{"text":"rendered for ${gina}"}`;
    const store = pipeline.worker.app.get(DeliveryStore);
    const record: AttemptRecord = {
      attemptId: randomUUID(),
      deliveryId: delivery.id,
      webhookId: hook.id,
      eventId,
      eventName: 'api.created',
      success: true,
      statusCode: 200,
      response: 'ok',
      error: null,
      durationMs: 5,
      manual: true,
      url: `${receiver.url}/ok`,
      request: { url: `${receiver.url}/ok`, headers: {}, body: rendering },
      ownerCaused: true,
    };

    // An erasure under way: it holds the event row (as LOCK_EVENTS_SQL does) and has emptied it.
    const erasure = new Client({ connectionString: pipeline.api.config.databaseUrl });
    await erasure.connect();
    try {
      await erasure.query('BEGIN');
      await erasure.query('SELECT id FROM events WHERE id = $1 FOR UPDATE', [eventId]);
      await erasure.query(
        `UPDATE events SET body = '', owner_id = NULL, user_id = NULL, fingerprint = NULL, erased_at = now() WHERE id = $1`,
        [eventId],
      );
      let recorded = false;
      const recording = store.recordAttempts([record]).then(() => (recorded = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The record waits for the erasure (the event row's lock) rather than store the rendering first.
      expect(recorded).toBe(false);
      await erasure.query('COMMIT');
      await recording;
    } finally {
      await erasure.end();
    }
    const [row] = await pipeline.dataSource.query<Array<{ body: string | null }>>(
      'SELECT request_body AS body FROM delivery_attempts WHERE id = $1',
      [record.attemptId],
    );
    expect(row).toEqual({ body: null });
  });
});

/**
 * README → API → Erasure: the claim does not look at events, so nothing may add a delivery of an
 * erased event to send after the erasure (fan-out and recover read the event row under a key-share
 * lock, which the erasure's FOR UPDATE orders), and a delivery claimed just before the erasure
 * committed finds no body and sends nothing, an empty body least of all. The erasure is played by
 * hand here, so that it can be held open.
 */
describe('Erasure racing fan-out, recover and a claim (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver((received, response) => {
    response.statusCode = received.url.startsWith('/down') ? 500 : 200;
    response.end();
  });

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('erasure-races', {
        DELIVERY_RETRY_SCHEDULE: '100ms',
        DELIVERY_CIRCUIT_THRESHOLD: '1000',
        // Only what a test queues is attempted: rows written here by hand stay as they are.
        DELIVERY_SWEEP_INTERVAL: '1h',
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const person = () => {
    const sub = `racer-${randomUUID()}`;
    return { sub, auth: bearer(mintToken({ sub })) };
  };
  const to = (path: string) => receiver.requests.filter((r) => r.url === path);
  const deliveriesOf = (webhookId: string) =>
    pipeline.dataSource.query<Array<{ id: string; status: string }>>(
      'SELECT id, status FROM deliveries WHERE webhook_id = $1',
      [webhookId],
    );

  /** An erasure of `eventId` under way: its row locked and emptied, committed by `commit`. */
  async function erasureUnderWay(eventId: string): Promise<{ commit(): Promise<void> }> {
    const client = new Client({ connectionString: pipeline.api.config.databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT id FROM events WHERE id = $1 FOR UPDATE', [eventId]);
    await client.query(
      `UPDATE events SET body = '', owner_id = NULL, user_id = NULL, fingerprint = NULL, erased_at = now() WHERE id = $1`,
      [eventId],
    );
    await client.query(
      `UPDATE deliveries SET status = 'dropped', locked_until = NULL
        WHERE event_id = $1 AND status IN ('pending', 'paused', 'queued')`,
      [eventId],
    );
    return {
      commit: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  it('a re-publish fanned out while the erasure holds the event adds no delivery to a webhook made since', async () => {
    const hank = person();
    const first = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/first` });
    const envelope = { ...ownerEvent(hank.sub), user: { id: `gina-${randomUUID()}` } };
    const eventId = await pipeline.publisher.publish(envelope);
    await waitUntil(async () => (await deliveriesOf(first.id))[0]?.status === 'succeeded');
    const later = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/later` });

    // The same event again (a publisher's retry once its first job is no longer kept): it would go
    // to the webhook made since.
    const events = eventsQueue(pipeline.api.config);
    try {
      await events.remove(eventId);
    } finally {
      await events.close();
    }
    const erasure = await erasureUnderWay(eventId);
    await pipeline.publisher.publish({ ...envelope, id: eventId });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await erasure.commit();
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);

    expect(await deliveriesOf(later.id)).toEqual([]);
    expect(to('/later')).toEqual([]);
  });

  it('a recover while the erasure holds the event recovers nothing of it', async () => {
    const hank = person();
    const down = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/down-recover` });
    const since = new Date(Date.now() - 1_000).toISOString();
    const eventId = await pipeline.publisher.publish({
      ...ownerEvent(hank.sub),
      user: { id: `gina-${randomUUID()}` },
    });
    await waitUntil(async () => (await deliveriesOf(down.id))[0]?.status === 'failed', 10_000, 'failed');
    const sent = to('/down-recover').length;

    const erasure = await erasureUnderWay(eventId);
    const recovering = request(pipeline.api.http)
      .post(`/webhooks/${down.id}/recover`)
      .set(hank.auth)
      .send({ since })
      .then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await erasure.commit();
    const recovered = await recovering;
    expect([recovered.status, recovered.body]).toEqual([202, { deliveries: 0 }]);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect((await deliveriesOf(down.id)).map((row) => row.status)).toEqual(['failed']);
    expect(to('/down-recover')).toHaveLength(sent);
  });

  it('a delivery claimed before the erasure committed, its body asked for after: nothing sent, no empty body', async () => {
    const hank = person();
    const hook = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/claimed` });
    // A pending delivery of an event this worker never fanned out (so it has no copy of its body).
    const eventId = `claimed-${randomUUID()}`;
    await pipeline.dataSource.query(
      `INSERT INTO events (id, name, body, owner_id, user_id) VALUES ($1, 'api.created', $2, $3, $3)`,
      [eventId, JSON.stringify({ id: eventId, name: 'api.created', note: 'private' }), hank.sub],
    );
    const [{ id: deliveryId }] = await pipeline.dataSource.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (event_id, webhook_id, status) VALUES ($1, $2, 'pending') RETURNING id`,
      [eventId, hook.id],
    );
    const [claimed] = await pipeline.worker.app.get(DeliveryStore).claim([deliveryId], 30_000);
    expect(claimed).toMatchObject({ deliveryId });

    await (await erasureUnderWay(eventId)).commit();
    const processor = pipeline.worker.app.get(DeliveryProcessor);
    // What the processor does next with its claim: the attempt.
    const made = await processor['runner'].attempt(claimed!, false);
    expect(made).toBeUndefined();
    expect(to('/claimed')).toEqual([]);
  });

  it('a claimed delivery whose event has no body to send is dropped, not left pending for the sweeper', async () => {
    const hank = person();
    const hook = await createWebhook(pipeline.api.http, hank.auth, { url: `${receiver.url}/bodiless` });
    // Erased, yet pending: a row no erasure made (one drops them all), as a fault could leave it.
    const eventId = `bodiless-${randomUUID()}`;
    await pipeline.dataSource.query(
      `INSERT INTO events (id, name, body, erased_at) VALUES ($1, 'api.created', '', now())`,
      [eventId],
    );
    const [{ id: deliveryId }] = await pipeline.dataSource.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (event_id, webhook_id, status) VALUES ($1, $2, 'pending') RETURNING id`,
      [eventId, hook.id],
    );
    const queued = pipeline.worker.app
      .get(DeliveryProcessor)
      .takeFirstAttempts([{ deliveryId, webhookId: hook.id }]);
    expect(queued).toEqual([]);
    await waitUntil(async () => (await deliveriesOf(hook.id))[0]?.status === 'dropped', 5_000, 'dropped');
    expect(to('/bodiless')).toEqual([]);
  });
});
