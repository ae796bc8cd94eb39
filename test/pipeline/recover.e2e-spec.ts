import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { queueTarget } from '@app/config';
import { EventPublisher } from '@app/events';
import { redisOptionsFromUrl } from '@app/queue';
import {
  bearer,
  CreatedWebhook,
  createTestDatabase,
  createWebhook,
  dropTestDatabase,
  HttpReceiver,
  mintToken,
  ReceivedRequest,
  verifyDelivery,
} from '@app/testing';
import {
  createPipelineApi,
  createTestWorker,
  ownerEvent,
  pipelineEnv,
  TestApi,
  TestWorker,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

interface OwnedWebhook extends CreatedWebhook {
  auth: Record<string, string>;
}

interface Attempt {
  id: string;
  eventId: string;
  attempt: number;
  success: boolean;
  statusCode: number | null;
}

/**
 * POST /webhooks/{id}/recover through the worker (README → API → Recovering failed deliveries):
 * deliveries that failed for good are sent once more, through the normal path, and the attempt log
 * shows it.
 */
describe('Recovering failed deliveries (e2e)', () => {
  let env: Record<string, string>;
  let database: string;
  let api: TestApi;
  let worker: TestWorker | undefined;
  let publisher: EventPublisher;
  let dataSource: DataSource;
  /** Paths answered 500 (the endpoint is down); any other path answers 200. */
  const failing = new Set<string>();
  /** Paths answered after SLOW_MS, with the most requests in flight to each seen at once. */
  const slow = new Set<string>();
  const SLOW_MS = 150;
  const inFlight = new Map<string, number>();
  const mostInFlight = new Map<string, number>();
  const arrivals = new Map<ReceivedRequest, number>();
  const receiver = new HttpReceiver((received, response) => {
    arrivals.set(received, Date.now());
    const path = received.url;
    const now = (inFlight.get(path) ?? 0) + 1;
    inFlight.set(path, now);
    mostInFlight.set(path, Math.max(now, mostInFlight.get(path) ?? 0));
    setTimeout(
      () => {
        inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
        response.statusCode = failing.has(path) ? 500 : 200;
        response.end(failing.has(path) ? 'down' : 'ok');
      },
      slow.has(path) ? SLOW_MS : 0,
    );
  });

  beforeAll(async () => {
    await receiver.start();
    database = await createTestDatabase();
    env = { ...pipelineEnv('recover'), DATABASE_URL: database };
    api = await createPipelineApi(env);
    worker = await createTestWorker(env);
    publisher = new EventPublisher(queueTarget(api.config));
    dataSource = api.app.get(DataSource);
  });
  afterAll(async () => {
    await publisher.close();
    await worker?.close();
    await api.close();
    await dropTestDatabase(database);
    await receiver.stop();
  });

  const requestsTo = (path: string) => receiver.requests.filter((r) => r.url === path);
  const recover = (webhook: OwnedWebhook, body: object) =>
    request(api.http).post(`/webhooks/${webhook.id}/recover`).set(webhook.auth).send(body);
  const statuses = async (webhookId: string) =>
    (
      await dataSource.query<Array<{ status: string }>>(
        `SELECT status FROM deliveries WHERE webhook_id = $1 ORDER BY created_at`,
        [webhookId],
      )
    ).map((row) => row.status);
  const untilAll = (webhookId: string, status: string, count: number) =>
    waitUntil(
      async () => {
        const all = await statuses(webhookId);
        return (all.length === count && all.every((s) => s === status)) || undefined;
      },
      20_000,
      `${count} deliveries ${status}`,
    );
  const attemptLog = async (webhook: OwnedWebhook): Promise<Attempt[]> =>
    (
      await request(api.http)
        .get(`/webhooks/${webhook.id}/deliveries?limit=100`)
        .set(webhook.auth)
        .expect(200)
    ).body.items;

  /**
   * A webhook at `path` (down) of an owner of its own, with `count` events of that owner's that have
   * failed for good: 4 attempts each.
   */
  async function failedWebhook(path: string, count: number, fields: Record<string, unknown> = {}) {
    failing.add(path);
    const sub = `recover-${randomUUID()}`;
    const auth = bearer(mintToken({ sub }));
    const created = await createWebhook(api.http, auth, { url: `${receiver.url}${path}`, ...fields });
    const webhook: OwnedWebhook = { ...created, auth };
    const eventIds: string[] = [];
    for (let i = 0; i < count; i += 1) eventIds.push(await publisher.publish(ownerEvent(sub)));
    await untilAll(webhook.id, 'failed', count);
    expect(requestsTo(path)).toHaveLength(4 * count);
    return { webhook, eventIds };
  }

  it('sends every failed delivery of the window once more, signed, and logs the new attempts after the old ones', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const { webhook, eventIds } = await failedWebhook('/recovers', 3);

    // A window before they failed holds none of them.
    await recover(webhook, { since: new Date(Date.now() - 600_000).toISOString(), until: since }).expect(
      202,
      { deliveries: 0 },
    );
    failing.delete('/recovers');
    await recover(webhook, { since }).expect(202, { deliveries: 3 });
    await untilAll(webhook.id, 'succeeded', 3);

    const resent = requestsTo('/recovers').slice(12);
    expect(resent.map((r) => r.headers['webhook-id']).sort()).toEqual([...eventIds].sort());
    for (const received of resent) {
      expect(verifyDelivery(webhook.secret, received)).toMatchObject({
        id: received.headers['webhook-id'],
        name: 'api.created',
      });
    }
    const log = await attemptLog(webhook);
    expect(log).toHaveLength(15);
    for (const eventId of eventIds) {
      const attempts = log.filter((item) => item.eventId === eventId).sort((a, b) => a.attempt - b.attempt);
      expect(attempts.map((item) => [item.attempt, item.success, item.statusCode])).toEqual([
        [1, false, 500],
        [2, false, 500],
        [3, false, 500],
        [4, false, 500],
        [5, true, 200],
      ]);
    }

    // The same window again: nothing is failed any more, so nothing is sent twice.
    await recover(webhook, { since }).expect(202, { deliveries: 0 });
    await waitForQuiet(dataSource, api.config);
    expect(requestsTo('/recovers')).toHaveLength(15);
  });

  it('gives a recovered delivery one more attempt, not a new schedule; one that fails again can be recovered again', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const { webhook } = await failedWebhook('/still-down', 1);
    await recover(webhook, { since }).expect(202, { deliveries: 1 });
    await waitUntil(async () => (await attemptLog(webhook)).length === 5 || undefined);
    await untilAll(webhook.id, 'failed', 1);
    await waitForQuiet(dataSource, api.config);
    expect(requestsTo('/still-down')).toHaveLength(5);

    failing.delete('/still-down');
    await recover(webhook, { since }).expect(202, { deliveries: 1 });
    await untilAll(webhook.id, 'succeeded', 1);
    const log = await attemptLog(webhook);
    expect(log.map((item) => [item.attempt, item.success])).toEqual([
      [6, true],
      [5, false],
      [4, false],
      [3, false],
      [2, false],
      [1, false],
    ]);
  });

  it("keeps to the webhook's rateLimit", async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const { webhook } = await failedWebhook('/throttled', 3, { rateLimit: 4 });
    failing.delete('/throttled');
    await recover(webhook, { since }).expect(202, { deliveries: 3 });
    await untilAll(webhook.id, 'succeeded', 3);
    const times = requestsTo('/throttled')
      .slice(12)
      .map((r) => arrivals.get(r) as number);
    // One slot every 250 ms: three take at least two slots (500 ms); unthrottled they arrive within
    // a few ms. Measured end to end rather than gap by gap, which network jitter can shift either way.
    expect(times).toHaveLength(3);
    expect(times[2] - times[0]).toBeGreaterThanOrEqual(400);
  });

  const eventIdOf = (received: ReceivedRequest) => received.headers['webhook-id'];

  it("rejoins a fifo webhook's line: one attempt in flight at a time, in publish order, all delivered", async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const { webhook, eventIds } = await failedWebhook('/fifo-line', 7, { ordering: 'fifo' });
    failing.delete('/fifo-line');
    slow.add('/fifo-line');
    mostInFlight.delete('/fifo-line');
    await recover(webhook, { since }).expect(202, { deliveries: 7 });
    await untilAll(webhook.id, 'succeeded', 7);
    const resent = requestsTo('/fifo-line').slice(28);
    expect(resent.map(eventIdOf)).toEqual(eventIds);
    expect(mostInFlight.get('/fifo-line')).toBe(1);
    // Asked again: nothing is failed, nothing is sent twice.
    await recover(webhook, { since }).expect(202, { deliveries: 0 });
    await waitForQuiet(dataSource, api.config);
    expect(requestsTo('/fifo-line')).toHaveLength(35);
  }, 40_000);

  it("gives deliveries from before the webhook became fifo a place in line, by their events' timestamps", async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    failing.add('/became-fifo');
    const sub = `recover-${randomUUID()}`;
    const auth = bearer(mintToken({ sub }));
    const created = await createWebhook(api.http, auth, { url: `${receiver.url}/became-fifo` });
    const webhook: OwnedWebhook = { ...created, auth };
    // Published one after the other, stamped the other way round: publish order is the timestamps'.
    const base = Date.now();
    const eventIds: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const timestamp = new Date(base - 60_000 * (i + 1)).toISOString();
      eventIds.push(await publisher.publish({ ...ownerEvent(sub), timestamp }));
    }
    await untilAll(webhook.id, 'failed', 4);
    await request(api.http).put(`/webhooks/${webhook.id}`).set(auth).send({ ordering: 'fifo' }).expect(200);
    failing.delete('/became-fifo');
    slow.add('/became-fifo');
    mostInFlight.delete('/became-fifo');
    await recover(webhook, { since }).expect(202, { deliveries: 4 });
    await untilAll(webhook.id, 'succeeded', 4);
    expect(requestsTo('/became-fifo').slice(16).map(eventIdOf)).toEqual([...eventIds].reverse());
    expect(mostInFlight.get('/became-fifo')).toBe(1);
  }, 40_000);

  it('survives a worker restart and lost jobs: the sweeper sends what PostgreSQL holds as pending', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const { webhook, eventIds } = await failedWebhook('/restart', 2);
    await worker?.close();
    worker = undefined;
    failing.delete('/restart');
    await recover(webhook, { since }).expect(202, { deliveries: 2 });
    // Their jobs are lost (Redis flushed, or the API stopped before queueing them).
    const deliveries = new Queue('deliveries', {
      prefix: api.config.queuePrefix,
      connection: redisOptionsFromUrl(api.config.redisUrl),
    });
    try {
      const ids = await dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM deliveries WHERE webhook_id = $1`,
        [webhook.id],
      );
      for (const { id } of ids) expect(await deliveries.remove(id)).toBe(1);
    } finally {
      await deliveries.close();
    }
    worker = await createTestWorker(env);
    await untilAll(webhook.id, 'succeeded', 2);
    expect(
      requestsTo('/restart')
        .slice(8)
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual([...eventIds].sort());
  });
});
