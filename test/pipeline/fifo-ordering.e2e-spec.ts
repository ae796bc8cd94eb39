import request from 'supertest';
import {
  bearer,
  createWebhook,
  HttpReceiver,
  mintToken,
  RunningProcess,
  verifyDelivery,
  waitForOutput,
} from '@app/testing';
import { EventEnvelope } from '@app/events';
import { createPipeline, ownerEvent, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';
import { spawnWorker } from './helpers/resilience';

/**
 * Ordered delivery (README → Ordered delivery): `ordering: "fifo"` holds one attempt in flight per
 * webhook across all workers (here the pipeline's worker and a second, built worker process), in
 * publish order, and lets the line move on when the head succeeds or fails for good.
 */

interface Line {
  /** Event ids in the order their requests arrived, with the status answered. */
  log: Array<{ eventId: string; status: number }>;
  inFlight: number;
  maxInFlight: number;
  /** The status to answer an event's attempt with (attempt counts from 1); 0 hangs, -1 resets. */
  answer: (eventId: string, attempt: number) => number;
}

const ENV = {
  DELIVERY_RETRY_SCHEDULE: '200ms,200ms,200ms',
  DELIVERY_CONCURRENCY: '20',
  DELIVERY_CIRCUIT_THRESHOLD: '3',
  DELIVERY_CIRCUIT_COOLDOWN: '300ms',
};
/** What a 20 ms receiver costs per delivery: time enough for another worker to break the line. */
const RECEIVER_MS = 20;

describe('Ordered delivery: ordering "fifo" (e2e)', () => {
  let pipeline: Pipeline;
  let second: RunningProcess;
  const lines = new Map<string, Line>();
  const receiver = new HttpReceiver((received, response) => {
    const line = lines.get(received.url);
    if (!line) {
      response.end('OK');
      return;
    }
    const eventId = (JSON.parse(received.body) as { id: string }).id;
    const attempt = line.log.filter((entry) => entry.eventId === eventId).length + 1;
    const status = line.answer(eventId, attempt);
    line.inFlight += 1;
    line.maxInFlight = Math.max(line.maxInFlight, line.inFlight);
    if (status <= 0) {
      // 0: no answer until the connection goes; -1: the connection reset at once (no answer at all).
      response.on('close', () => {
        line.log.push({ eventId, status });
        line.inFlight -= 1;
      });
      if (status < 0) response.socket?.destroy();
      return;
    }
    setTimeout(() => {
      line.log.push({ eventId, status });
      line.inFlight -= 1;
      response.statusCode = status;
      response.end(status < 300 ? 'OK' : 'not now');
    }, RECEIVER_MS);
  });

  beforeAll(async () => {
    await receiver.start();
    const env = pipelineEnv('fifo', ENV);
    pipeline = await createPipeline(env);
    second = await spawnWorker({
      ...env,
      DATABASE_URL: pipeline.worker.config.databaseUrl,
      LOG_LEVEL: 'info',
    });
    await waitForOutput(second, /worker started/);
  }, 60_000);
  afterAll(async () => {
    if (second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGTERM');
    await second?.exited;
    await pipeline.close();
    await receiver.stop();
  });

  let count = 0;
  /** A fifo (or not) webhook of a fresh owner, whose receiver answers as `answer` says. */
  async function line(answer: Line['answer'] = () => 200, fields: Record<string, unknown> = {}) {
    count += 1;
    const owner = `fifo-${count}-${Date.now()}`;
    const auth = bearer(mintToken({ sub: owner }));
    const path = `/line-${count}`;
    const state: Line = { log: [], inFlight: 0, maxInFlight: 0, answer };
    lines.set(path, state);
    const webhook = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}${path}`,
      ordering: 'fifo',
      ...fields,
    });
    return { owner, auth, path, state, webhook };
  }
  const publish = (owner: string, n: number): Promise<string[]> =>
    pipeline.publisher.publishBulk(Array.from({ length: n }, (): EventEnvelope => ownerEvent(owner)));
  const succeeded = (state: Line) =>
    state.log.filter((entry) => entry.status >= 200 && entry.status < 300).map((entry) => entry.eventId);
  const statuses = async (webhookId: string): Promise<Record<string, number>> => {
    const rows = await pipeline.dataSource.query<Array<{ status: string; n: number }>>(
      'SELECT status, count(*)::int AS n FROM deliveries WHERE webhook_id = $1 GROUP BY status',
      [webhookId],
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  };

  it('delivers 50 events published at once strictly in publish order, one at a time, across two workers', async () => {
    const { owner, state, webhook } = await line();
    expect(webhook.ordering).toBe('fifo');
    const ids = await publish(owner, 50);
    await waitUntil(async () => succeeded(state).length >= 50, 30_000, '50 deliveries');
    expect(succeeded(state).map((id) => ids.indexOf(id))).toEqual(ids.map((_id, index) => index));
    expect(state.log).toHaveLength(50);
    expect(state.maxInFlight).toBe(1);
    const last = receiver.requests.filter((r) => r.url === `/line-${count}`).pop();
    expect(verifyDelivery(webhook.secret, last!)).toMatchObject({ id: ids[49] });
    await waitUntil(async () => (await statuses(webhook.id)).succeeded === 50, 5_000, 'the last record');
    expect(await statuses(webhook.id)).toEqual({ succeeded: 50 });
  }, 40_000);

  it('holds the rest while the head fails and waits for its retry, then goes on in order', async () => {
    let head = '';
    const { owner, state } = await line((eventId, attempt) => (eventId === head && attempt <= 2 ? 500 : 200));
    const ids = await publish(owner, 4);
    head = ids[0];
    await waitUntil(async () => succeeded(state).length >= 4, 15_000, 'four deliveries');
    expect(state.log.map((entry) => [entry.eventId, entry.status])).toEqual([
      [ids[0], 500],
      [ids[0], 500],
      [ids[0], 200],
      [ids[1], 200],
      [ids[2], 200],
      [ids[3], 200],
    ]);
    expect(state.maxInFlight).toBe(1);
  });

  it('lets the next go once the head has failed for good', async () => {
    let head = '';
    const { owner, state, webhook } = await line((eventId) => (eventId === head ? 500 : 200));
    const ids = await publish(owner, 3);
    head = ids[0];
    await waitUntil(async () => succeeded(state).length >= 2, 15_000, 'the two after the head');
    // The immediate attempt and the three retries of DELIVERY_RETRY_SCHEDULE, then the others.
    expect(state.log.map((entry) => entry.eventId)).toEqual([ids[0], ids[0], ids[0], ids[0], ids[1], ids[2]]);
    // The receiver logs as it answers; the worker records the outcome just after.
    await waitUntil(async () => (await statuses(webhook.id)).succeeded === 2, 5_000, 'the record');
    expect(await statuses(webhook.id)).toEqual({ failed: 1, succeeded: 2 });
  });

  it("leaves the owner's webhook without ordering alone while a fifo line is held", async () => {
    let release = false;
    const fifo = await line(() => (release ? 200 : 500), { ordering: 'fifo' });
    const plainPath = `/plain-${count}`;
    const plain: Line = { log: [], inFlight: 0, maxInFlight: 0, answer: () => 200 };
    lines.set(plainPath, plain);
    const plainHook = await createWebhook(pipeline.api.http, fifo.auth, {
      url: `${receiver.url}${plainPath}`,
    });
    expect(plainHook.ordering).toBe('none');
    const ids = await publish(fifo.owner, 10);
    await waitUntil(async () => succeeded(plain).length >= 10, 15_000, 'the plain webhook to get all ten');
    await waitUntil(async () => fifo.state.log.length >= 2, 10_000, 'the fifo head to be retried');
    expect(new Set(succeeded(plain))).toEqual(new Set(ids));
    // Meanwhile the fifo line has tried its head only.
    expect(new Set(fifo.state.log.map((entry) => entry.eventId))).toEqual(new Set([ids[0]]));
    release = true;
    await waitUntil(async () => succeeded(fifo.state).length >= 10, 15_000, 'the fifo line to drain');
    expect(succeeded(fifo.state)).toEqual(ids);
  });

  it('drops the waiting line with its head when the webhook is deactivated', async () => {
    const { owner, auth, state, webhook } = await line(() => 500);
    await publish(owner, 4);
    await waitUntil(async () => state.log.length >= 1, 10_000, 'the head to be tried');
    await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ active: false })
      .expect(200);
    const waiting = (s: Record<string, number>) => (s.queued ?? 0) + (s.pending ?? 0) + (s.paused ?? 0);
    await waitUntil(async () => waiting(await statuses(webhook.id)) === 0, 10_000, 'the line to be dropped');
    const final = await statuses(webhook.id);
    // The head may have failed for good (or the next one started) before the change was seen.
    expect(final.dropped).toBeGreaterThanOrEqual(2);
    expect((final.dropped ?? 0) + (final.failed ?? 0)).toBe(4);
  });

  it('drops the waiting line when the head disables the webhook (410 Gone)', async () => {
    const { owner, state, webhook } = await line(() => 410);
    await publish(owner, 3);
    await waitUntil(async () => (await statuses(webhook.id)).dropped === 2, 10_000, 'the line to be dropped');
    expect(await statuses(webhook.id)).toEqual({ failed: 1, dropped: 2 });
    expect(state.log).toHaveLength(1);
  });

  it('releases the whole line at once when ordering goes back to "none"', async () => {
    let head = '';
    const { owner, auth, state, webhook } = await line((eventId) => (eventId === head ? 500 : 200));
    const ids = await publish(owner, 5);
    head = ids[0];
    await waitUntil(async () => state.log.length >= 1, 10_000, 'the head to be tried');
    expect(succeeded(state)).toEqual([]);
    const put = await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ ordering: 'none' })
      .expect(200);
    expect(put.body.ordering).toBe('none');
    await waitUntil(async () => succeeded(state).length >= 4, 10_000, 'the four behind the head');
    expect(new Set(succeeded(state))).toEqual(new Set(ids.slice(1)));
  });

  it('keeps the order through a pause: the head is parked and probed, the line waits behind it', async () => {
    let head = '';
    const { owner, state } = await line((eventId, attempt) => (eventId === head && attempt <= 3 ? -1 : 200));
    const ids = await publish(owner, 3);
    head = ids[0];
    await waitUntil(async () => succeeded(state).length >= 3, 20_000, 'the line to drain');
    expect(succeeded(state)).toEqual(ids);
    expect(state.log.map((entry) => entry.eventId).slice(0, 4)).toEqual([ids[0], ids[0], ids[0], ids[0]]);
    expect(state.maxInFlight).toBe(1);
  });

  // Last: from here on only built worker processes deliver, so the one holding the head can be killed.
  it('a worker SIGKILLed mid-attempt: the head comes back once its lease is over, nothing behind it moves or is skipped', async () => {
    await pipeline.worker.close();
    pipeline.worker.close = () => Promise.resolve();
    let head = '';
    const { owner, state, webhook } = await line((eventId, attempt) =>
      eventId === head && attempt === 1 ? 0 : 200,
    );
    const ids = await publish(owner, 3);
    head = ids[0];
    await waitUntil(async () => state.inFlight === 1, 10_000, 'the head to be in flight');
    second.child.kill('SIGKILL');
    await second.exited;
    second = await spawnWorker({
      ...pipelineEnv('fifo', ENV),
      DATABASE_URL: pipeline.worker.config.databaseUrl,
      LOG_LEVEL: 'info',
    });
    await waitForOutput(second, /worker started/);
    await waitUntil(async () => succeeded(state).length >= 3, 30_000, 'the line to drain');
    expect(succeeded(state)).toEqual(ids);
    // The killed attempt (no answer), then the head again; each of the others once, in order.
    expect(state.log.map((entry) => entry.eventId)).toEqual([ids[0], ids[0], ids[1], ids[2]]);
    expect(state.maxInFlight).toBe(1);
    await waitUntil(async () => (await statuses(webhook.id)).succeeded === 3, 5_000, 'the last record');
    expect(await statuses(webhook.id)).toEqual({ succeeded: 3 });
  }, 60_000);

  describe('the field', () => {
    const owner = `fifo-field-${Date.now()}`;
    const auth = bearer(mintToken({ sub: owner }));
    const viewer = bearer(mintToken({ sub: owner, scope: 'webhook.readonly' }));

    it('defaults to "none", is changed by PUT, and shows to webhook.readonly tokens', async () => {
      const created = await createWebhook(pipeline.api.http, auth, {});
      expect(created.ordering).toBe('none');
      await request(pipeline.api.http)
        .put(`/webhooks/${created.id}`)
        .set(auth)
        .send({ ordering: 'fifo' })
        .expect(200);
      const seen = await request(pipeline.api.http).get(`/webhooks/${created.id}`).set(viewer).expect(200);
      expect(seen.body.ordering).toBe('fifo');
      const listed = await request(pipeline.api.http).get('/webhooks').set(viewer).expect(200);
      expect(JSON.stringify(listed.body)).toContain('"ordering":"fifo"');
    });

    it.each([['FIFO'], ['lifo'], [''], [1], [true], [null], [['fifo']], [{ fifo: true }]])(
      'refuses ordering %j with a 400 naming the field, and changes nothing',
      async (ordering) => {
        const refused = await request(pipeline.api.http)
          .post('/webhooks')
          .set(auth)
          .send({ url: 'https://receiver.example/hook', events: [{ name: 'api.created' }], ordering })
          .expect(400);
        expect(refused.body).toMatchObject({ code: 400 });
        expect(refused.body.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'ordering' })]),
        );
        const created = await createWebhook(pipeline.api.http, auth, { ordering: 'fifo' });
        await request(pipeline.api.http)
          .put(`/webhooks/${created.id}`)
          .set(auth)
          .send({ ordering })
          .expect(400);
        const after = await request(pipeline.api.http).get(`/webhooks/${created.id}`).set(auth).expect(200);
        expect(after.body.ordering).toBe('fifo');
      },
    );
  });
});
