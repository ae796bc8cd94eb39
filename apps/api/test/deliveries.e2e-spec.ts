import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DeliveryAttemptEntity, DeliveryEntity, EventEntity } from '@app/database';
import { bearer, createWebhook, mintToken, WebhookFields } from '@app/testing';
import { createOfflineTestApi, createQueuedTestApi, QueuedTestApi, TestApi } from './helpers/test-app';

interface SeedAttempt {
  createdAt: string;
  eventName?: string;
  success?: boolean;
}

/**
 * The delivery log and redelivery. Attempts are written straight into the tables, as the worker
 * writes them. This file's queue prefix is its own (under the run's, deleted by the global
 * teardown), so no worker of another test file consumes the jobs it looks for.
 */
describe('Webhook deliveries: log and redelivery (e2e)', () => {
  const queuePrefix = `${process.env.EVENT_API_TEST_QUEUE_PREFIX}:deliveries`;
  let api: QueuedTestApi;
  let queue: Queue;
  let dataSource: DataSource;

  beforeAll(async () => {
    api = await createQueuedTestApi('deliveries');
    queue = api.deliveries;
    dataSource = api.dataSource;
  });
  afterAll(() => api.close());

  const user = () => {
    const sub = `user-${Math.random().toString(36).slice(2)}`;
    return {
      sub,
      auth: bearer(mintToken({ sub, scope: 'webhook' })),
      reader: bearer(mintToken({ sub, scope: 'webhook.readonly' })),
    };
  };
  const createHook = (auth: Record<string, string>, fields: WebhookFields = {}) =>
    createWebhook(api.http, auth, { url: 'https://log.example/hook', ...fields });

  /** One event + delivery per attempt, as fan-out and the worker would leave them. */
  async function seed(webhookId: string, attempts: SeedAttempt[]): Promise<DeliveryAttemptEntity[]> {
    const rows: DeliveryAttemptEntity[] = [];
    for (const [index, spec] of attempts.entries()) {
      const eventName = spec.eventName ?? 'api.created';
      const eventId = randomUUID();
      await dataSource.getRepository(EventEntity).insert({
        id: eventId,
        name: eventName,
        body: JSON.stringify({ id: eventId, name: eventName }),
      });
      const deliveryId = randomUUID();
      await dataSource.getRepository(DeliveryEntity).insert({
        id: deliveryId,
        eventId,
        webhookId,
        status: spec.success === false ? 'failed' : 'succeeded',
        attempts: 1,
        nextAttemptAt: new Date(),
        lockedUntil: null,
      });
      const success = spec.success ?? true;
      const row = {
        id: randomUUID(),
        deliveryId,
        webhookId,
        eventId,
        eventName,
        attempt: 1,
        success,
        statusCode: success ? 200 : null,
        response: success ? `OK ${index}` : 'connect ECONNREFUSED 10.0.0.1:443',
        error: success ? null : 'connect ECONNREFUSED 10.0.0.1:443',
        durationMs: 10 + index,
      };
      // created_at as text, microseconds included: a Date would cut them to milliseconds.
      await dataSource.query(
        `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
           status_code, response, error, duration_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz)`,
        [
          row.id,
          row.deliveryId,
          row.webhookId,
          row.eventId,
          row.eventName,
          row.attempt,
          row.success,
          row.statusCode,
          row.response,
          row.error,
          row.durationMs,
          spec.createdAt,
        ],
      );
      rows.push({
        ...row,
        requestUrl: null,
        requestHeaders: null,
        requestBody: null,
        createdAt: new Date(spec.createdAt),
      });
    }
    return rows;
  }

  const list = (id: string, auth: Record<string, string>, query: Record<string, string | number> = {}) =>
    request(api.http).get(`/webhooks/${id}/deliveries`).query(query).set(auth);

  describe('GET /webhooks/{id}/deliveries', () => {
    it('pages newest first with a cursor, across attempts within one millisecond and equal timestamps', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const seeded = await seed(webhook.id, [
        { createdAt: '2025-01-01T00:00:01Z' },
        { createdAt: '2025-01-01T00:00:02.000200Z' },
        { createdAt: '2025-01-01T00:00:03Z', eventName: 'release.released' },
        { createdAt: '2025-01-01T00:00:02.000300Z', success: false },
        { createdAt: '2025-01-01T00:00:00.5Z' },
        { createdAt: '2025-01-01T00:00:02.000200Z' },
      ]);
      const tied = [seeded[1], seeded[5]].sort((a, b) => (a.id < b.id ? 1 : -1));
      const expected = [seeded[2], seeded[3], ...tied, seeded[0], seeded[4]].map((row) => row.id);

      const pages: string[][] = [];
      let cursor: string | null | undefined;
      do {
        const response = await list(webhook.id, auth, { limit: 2, ...(cursor ? { cursor } : {}) }).expect(
          200,
        );
        expect(Object.keys(response.body).sort()).toEqual(['items', 'nextCursor']);
        pages.push(response.body.items.map((item: { id: string }) => item.id));
        cursor = response.body.nextCursor;
        if (cursor !== null) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      } while (cursor && pages.length < 10);
      expect(pages).toEqual([expected.slice(0, 2), expected.slice(2, 4), expected.slice(4, 6)]);
      expect(new Set(pages.flat()).size).toBe(6);

      const all = await list(webhook.id, auth).expect(200);
      expect(all.body.nextCursor).toBeNull();
      expect(all.body.items.map((item: { id: string }) => item.id)).toEqual(expected);
    });

    it('shows each attempt as {id, eventId, eventName, attempt, success, statusCode, response, error, durationMs, timestamp}', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const [ok, failed] = await seed(webhook.id, [
        { createdAt: '2025-02-01T10:00:00.123Z' },
        { createdAt: '2025-02-01T09:00:00Z', success: false, eventName: 'plan.created' },
      ]);
      const response = await list(webhook.id, auth).expect(200);
      expect(response.body).toEqual({
        items: [
          {
            id: ok.id,
            eventId: ok.eventId,
            eventName: 'api.created',
            attempt: 1,
            success: true,
            statusCode: 200,
            response: 'OK 0',
            error: null,
            durationMs: 10,
            timestamp: '2025-02-01T10:00:00.123Z',
          },
          {
            id: failed.id,
            eventId: failed.eventId,
            eventName: 'plan.created',
            attempt: 1,
            success: false,
            statusCode: null,
            response: 'connect ECONNREFUSED 10.0.0.1:443',
            error: 'connect ECONNREFUSED 10.0.0.1:443',
            durationMs: 11,
            timestamp: '2025-02-01T09:00:00.000Z',
          },
        ],
        nextCursor: null,
      });
    });

    it('is empty for a webhook without attempts, and lists only this webhook', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const sibling = await createHook(auth);
      await seed(sibling.id, [{ createdAt: '2025-03-01T00:00:00Z' }]);
      await list(webhook.id, auth).expect(200, { items: [], nextCursor: null });
    });

    it('filters by success and eventName (combined with AND, paginated)', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const seeded = await seed(webhook.id, [
        { createdAt: '2025-04-01T00:00:01Z', success: true, eventName: 'api.created' },
        { createdAt: '2025-04-01T00:00:02Z', success: false, eventName: 'api.created' },
        { createdAt: '2025-04-01T00:00:03Z', success: false, eventName: 'release.released' },
        { createdAt: '2025-04-01T00:00:04Z', success: true, eventName: 'release.released' },
        { createdAt: '2025-04-01T00:00:05Z', success: false, eventName: 'api.created' },
      ]);
      const ids = (response: request.Response) => response.body.items.map((item: { id: string }) => item.id);

      expect(ids(await list(webhook.id, auth, { success: 'false' }).expect(200))).toEqual([
        seeded[4].id,
        seeded[2].id,
        seeded[1].id,
      ]);
      expect(ids(await list(webhook.id, auth, { success: 'true' }).expect(200))).toEqual([
        seeded[3].id,
        seeded[0].id,
      ]);
      expect(ids(await list(webhook.id, auth, { eventName: 'release.released' }).expect(200))).toEqual([
        seeded[3].id,
        seeded[2].id,
      ]);
      const first = await list(webhook.id, auth, {
        success: 'false',
        eventName: 'api.created',
        limit: 1,
      }).expect(200);
      expect(ids(first)).toEqual([seeded[4].id]);
      const second = await list(webhook.id, auth, {
        success: 'false',
        eventName: 'api.created',
        limit: 1,
        cursor: first.body.nextCursor,
      }).expect(200);
      expect(ids(second)).toEqual([seeded[1].id]);
      expect(second.body.nextCursor).toBeNull();
      await list(webhook.id, auth, { eventName: 'webhook.ping' }).expect(200, {
        items: [],
        nextCursor: null,
      });
    });

    it('defaults to 20 items and allows at most 100', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      await seed(
        webhook.id,
        Array.from({ length: 21 }, (_, index) => ({
          createdAt: new Date(Date.UTC(2025, 4, 1, 0, 0, index)).toISOString(),
        })),
      );
      const page = await list(webhook.id, auth).expect(200);
      expect(page.body.items).toHaveLength(20);
      expect(page.body.nextCursor).toEqual(expect.any(String));
      const rest = await list(webhook.id, auth, { cursor: page.body.nextCursor }).expect(200);
      expect(rest.body.items).toHaveLength(1);
      expect(rest.body.nextCursor).toBeNull();
      expect((await list(webhook.id, auth, { limit: 100 }).expect(200)).body.items).toHaveLength(21);
    });

    it.each([
      ['limit', '0'],
      ['limit', '101'],
      ['limit', '-1'],
      ['limit', '1.5'],
      ['limit', 'ten'],
      ['limit', ''],
      ['cursor', 'not a cursor'],
      ['cursor', Buffer.from('2025-01-01T00:00:00Z|not-a-uuid').toString('base64url')],
      ['cursor', Buffer.from(`2025-02-30T00:00:00Z|${randomUUID()}`).toString('base64url')],
      ['cursor', Buffer.from(`yesterday|${randomUUID()}`).toString('base64url')],
      ['success', 'yes'],
      ['success', '1'],
      ['eventName', 'api.exploded'],
    ])('refuses %s=%j with 400 naming the field', async (field, value) => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const response = await list(webhook.id, auth, { [field]: value }).expect(400);
      expect(response.body.code).toBe(400);
      expect(response.body.errors).toEqual([{ field, message: expect.stringContaining(field) }]);
    });

    it('refuses unknown query parameters', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const response = await list(webhook.id, auth, { page: 2 }).expect(400);
      expect(response.body.errors[0].field).toBe('page');
    });

    it('is readable with webhook.readonly; foreign, unknown and malformed ids are 404', async () => {
      const owner = user();
      const stranger = user();
      const webhook = await createHook(owner.auth);
      await seed(webhook.id, [{ createdAt: '2025-06-01T00:00:00Z' }]);
      expect((await list(webhook.id, owner.reader).expect(200)).body.items).toHaveLength(1);
      for (const id of [webhook.id, randomUUID(), 'not-a-uuid']) {
        await list(id, stranger.auth).expect(404, { code: 404, message: 'Webhook not found' });
        await list(id, stranger.reader).expect(404, { code: 404, message: 'Webhook not found' });
      }
      await request(api.http)
        .get(`/webhooks/${webhook.id}/deliveries`)
        .expect(401, { code: 401, message: 'Access denied' });
    });
  });

  describe('POST /webhooks/{id}/deliveries/{deliveryId}/redeliver', () => {
    const redeliver = (id: string, attemptId: string, auth: Record<string, string>) =>
      request(api.http).post(`/webhooks/${id}/deliveries/${attemptId}/redeliver`).set(auth);

    it('queues one extra attempt of that delivery and answers 202 with its event and delivery', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const [attempt] = await seed(webhook.id, [{ createdAt: '2025-07-01T00:00:00Z', success: false }]);
      const response = await redeliver(webhook.id, attempt.id, auth).expect(202);
      expect(response.body).toEqual({ eventId: attempt.eventId, deliveryId: attempt.deliveryId });

      const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
      const redeliveries = jobs.filter(
        (job) =>
          job.name === 'redeliver' && (job.data as { deliveryId: string }).deliveryId === attempt.deliveryId,
      );
      expect(redeliveries).toHaveLength(1);
      expect(redeliveries[0].id).toMatch(new RegExp(`^${attempt.deliveryId}\\.redeliver\\.`));

      // Each request is one more attempt: a second redelivery is a second job.
      await redeliver(webhook.id, attempt.id, auth).expect(202);
      const after = (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
        (job) =>
          job.name === 'redeliver' && (job.data as { deliveryId: string }).deliveryId === attempt.deliveryId,
      );
      expect(after).toHaveLength(2);
    });

    it("answers 404 'Delivery not found' for unknown, malformed and another webhook's attempt ids", async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const sibling = await createHook(auth);
      const [own] = await seed(webhook.id, [{ createdAt: '2025-07-02T00:00:00Z' }]);
      const [siblings] = await seed(sibling.id, [{ createdAt: '2025-07-02T00:00:00Z' }]);
      for (const attemptId of [randomUUID(), 'not-a-uuid', siblings.id, own.deliveryId]) {
        await redeliver(webhook.id, attemptId, auth).expect(404, {
          code: 404,
          message: 'Delivery not found',
        });
      }
    });

    it("answers 404 'Webhook not found' for a foreign webhook, even with its real attempt id", async () => {
      const owner = user();
      const stranger = user();
      const webhook = await createHook(owner.auth);
      const [attempt] = await seed(webhook.id, [{ createdAt: '2025-07-03T00:00:00Z' }]);
      for (const id of [webhook.id, randomUUID(), 'nope']) {
        await redeliver(id, attempt.id, stranger.auth).expect(404, {
          code: 404,
          message: 'Webhook not found',
        });
      }
    });

    it('needs the webhook scope', async () => {
      const { auth, reader } = user();
      const webhook = await createHook(auth);
      const [attempt] = await seed(webhook.id, [{ createdAt: '2025-07-04T00:00:00Z' }]);
      await redeliver(webhook.id, attempt.id, reader).expect(403, {
        code: 403,
        message: 'Insufficient scope: requires webhook',
      });
    });

    it('refuses an inactive webhook with 409', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const [attempt] = await seed(webhook.id, [{ createdAt: '2025-07-05T00:00:00Z' }]);
      await request(api.http).put(`/webhooks/${webhook.id}`).set(auth).send({ active: false }).expect(200);
      await redeliver(webhook.id, attempt.id, auth).expect(409, {
        code: 409,
        message: 'Webhook is inactive: activate it to redeliver',
      });
    });

    describe('with Redis unreachable', () => {
      let offline: TestApi;
      beforeAll(async () => {
        offline = await createOfflineTestApi(queuePrefix);
      });
      afterAll(() => offline.close());

      it('answers 503: nothing was queued, the caller may retry', async () => {
        const { auth } = user();
        const webhook = await createHook(auth);
        const [attempt] = await seed(webhook.id, [{ createdAt: '2025-07-06T00:00:00Z' }]);
        await request(offline.http)
          .post(`/webhooks/${webhook.id}/deliveries/${attempt.id}/redeliver`)
          .set(auth)
          .expect(503, { code: 503, message: 'Delivery queue unavailable, try again later' });
      });
    });
  });
});
