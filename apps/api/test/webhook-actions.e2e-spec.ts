import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, createWebhook, mintToken, WebhookFields } from '@app/testing';
import { createOfflineTestApi, createQueuedTestApi, QueuedTestApi, TestApi } from './helpers/test-app';

/**
 * Ping and secret rotation against the real database and Redis. The queue prefix is this file's own
 * (under the run's, so the global teardown deletes it): a worker started by another test file on the
 * run's prefix must not consume the jobs this file looks for.
 */
describe('Webhook actions: ping, secret rotation (e2e)', () => {
  const queuePrefix = `${process.env.EVENT_API_TEST_QUEUE_PREFIX}:webhook-actions`;
  let api: QueuedTestApi;
  let queue: Queue;
  let dataSource: DataSource;

  beforeAll(async () => {
    api = await createQueuedTestApi('webhook-actions');
    queue = api.deliveries;
    dataSource = api.dataSource;
  });
  afterAll(() => api.close());

  const user = (scope = 'webhook') => {
    const sub = `user-${Math.random().toString(36).slice(2)}`;
    return { sub, auth: bearer(mintToken({ sub, nickname: 'jdoe', scope })) };
  };
  const createHook = (auth: Record<string, string>, fields: WebhookFields = {}) =>
    createWebhook(api.http, auth, { url: 'https://ping.example/hook', ...fields });

  describe('POST /webhooks/{id}/ping', () => {
    it('stores a webhook.ping event and a pending delivery for this webhook alone, and enqueues it', async () => {
      const { sub, auth } = user();
      const webhook = await createHook(auth, {
        custom: '{"team":"platform"}',
        headers: { 'X-Api-Key': 'receiver-credential' },
      });
      const other = await createHook(auth);

      const response = await request(api.http).post(`/webhooks/${webhook.id}/ping`).set(auth).expect(202);
      expect(Object.keys(response.body).sort()).toEqual(['deliveryId', 'eventId']);
      const { eventId, deliveryId } = response.body;

      const [event] = await dataSource.query('SELECT id, name, body FROM events WHERE id = $1', [eventId]);
      expect(event.name).toBe('webhook.ping');
      const body = JSON.parse(event.body);
      expect(body).toEqual({
        id: eventId,
        name: 'webhook.ping',
        timestamp: expect.any(String),
        user: { id: sub, nickname: 'jdoe' },
        resourceType: 'Webhook',
        resource: {
          id: webhook.id,
          user: { id: sub, nickname: 'jdoe' },
          userId: sub,
          apiId: null,
          url: 'https://ping.example/hook',
          events: [{ name: 'api.created' }],
          active: true,
          custom: '{"team":"platform"}',
          createdAt: webhook.createdAt,
          updatedAt: webhook.updatedAt,
          lastDelivery: null,
          disabledReason: null,
          rateLimit: null,
          signing: 'hmac-sha256',
          ordering: 'none',
          // Header values are the receiver's credentials: events show the names only.
          headers: { 'X-Api-Key': '••••' },
          filter: null,
          deliveryHealth: { state: 'healthy', pausedUntil: null },
        },
        ownerId: sub,
      });
      expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
      expect(event.body).not.toContain('receiver-credential');
      expect(event.body).not.toContain(webhook.secret);
      expect(event.body).not.toContain('secret');

      const deliveries = await dataSource.query(
        'SELECT id, webhook_id, status, attempts, next_attempt_at FROM deliveries WHERE event_id = $1',
        [eventId],
      );
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({
        id: deliveryId,
        webhook_id: webhook.id,
        status: 'pending',
        attempts: 0,
      });
      expect(Math.abs(deliveries[0].next_attempt_at.getTime() - Date.now())).toBeLessThan(60_000);
      const [{ count }] = await dataSource.query(
        'SELECT count(*)::int AS count FROM deliveries WHERE webhook_id = $1',
        [other.id],
      );
      expect(count).toBe(0);

      const job = await queue.getJob(deliveryId);
      expect(job).toBeDefined();
      expect(job?.name).toBe('deliver');
      expect(job?.data).toEqual({ deliveryId, webhookId: webhook.id });
    });

    it('pings whatever the webhook subscribes to, each ping a new event', async () => {
      const { auth } = user();
      const webhook = await createHook(auth, { events: [{ name: 'plan.subscribed' }] });
      const first = await request(api.http).post(`/webhooks/${webhook.id}/ping`).set(auth).expect(202);
      const second = await request(api.http).post(`/webhooks/${webhook.id}/ping`).set(auth).expect(202);
      expect(second.body.eventId).not.toBe(first.body.eventId);
      expect(second.body.deliveryId).not.toBe(first.body.deliveryId);
    });

    it('needs the webhook scope', async () => {
      const { sub, auth } = user();
      const webhook = await createHook(auth);
      const reader = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
      await request(api.http)
        .post(`/webhooks/${webhook.id}/ping`)
        .set(reader)
        .expect(403, { code: 403, message: 'Insufficient scope: requires webhook' });
      await request(api.http)
        .post(`/webhooks/${webhook.id}/ping`)
        .expect(401, { code: 401, message: 'Access denied' });
    });

    it('answers 404 for foreign, unknown and malformed ids', async () => {
      const owner = user();
      const stranger = user();
      const webhook = await createHook(owner.auth);
      for (const id of [webhook.id, 'b3c0f7de-6a5e-4c2b-9f1d-2e3a4b5c6d7e', 'not-a-uuid', '1%00']) {
        await request(api.http)
          .post(`/webhooks/${id}/ping`)
          .set(stranger.auth)
          .expect(404, { code: 404, message: 'Webhook not found' });
      }
      const [{ count }] = await dataSource.query(
        'SELECT count(*)::int AS count FROM deliveries WHERE webhook_id = $1',
        [webhook.id],
      );
      expect(count).toBe(0);
    });

    it('refuses an inactive webhook with 409: its deliveries would be dropped', async () => {
      const { auth } = user();
      const webhook = await createHook(auth, { active: false });
      await request(api.http)
        .post(`/webhooks/${webhook.id}/ping`)
        .set(auth)
        .expect(409, { code: 409, message: 'Webhook is inactive: activate it to ping' });
      const [{ count }] = await dataSource.query(
        'SELECT count(*)::int AS count FROM deliveries WHERE webhook_id = $1',
        [webhook.id],
      );
      expect(count).toBe(0);
    });
  });

  describe('POST /webhooks/{id}/secret', () => {
    it('rotates: a new secret, the old one kept as previous for SECRET_ROTATION_OVERLAP', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const before = Date.now();
      const response = await request(api.http).post(`/webhooks/${webhook.id}/secret`).set(auth).expect(200);
      expect(Object.keys(response.body)).toEqual(['secret']);
      expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(response.body.secret).not.toBe(webhook.secret);

      const [row] = await dataSource.query(
        'SELECT secret, previous_secret, previous_secret_expires_at FROM webhooks WHERE id = $1',
        [webhook.id],
      );
      expect(row.secret).toBe(response.body.secret);
      expect(row.previous_secret).toBe(webhook.secret);
      const overlap = 24 * 60 * 60 * 1000;
      expect(api.config.secretRotationOverlapMs).toBe(overlap);
      expect(row.previous_secret_expires_at.getTime()).toBeGreaterThanOrEqual(before + overlap - 1000);
      expect(row.previous_secret_expires_at.getTime()).toBeLessThanOrEqual(Date.now() + overlap + 1000);

      const fetched = await request(api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
      expect(fetched.body.secret).toBe(response.body.secret);
      expect(JSON.stringify(fetched.body)).not.toContain(webhook.secret);
      expect(fetched.body).not.toHaveProperty('previousSecret');

      // Rotating again within the overlap retires the oldest secret at once.
      const again = await request(api.http).post(`/webhooks/${webhook.id}/secret`).set(auth).expect(200);
      const [rotated] = await dataSource.query('SELECT secret, previous_secret FROM webhooks WHERE id = $1', [
        webhook.id,
      ]);
      expect(rotated).toEqual({ secret: again.body.secret, previous_secret: response.body.secret });
    });

    it('needs the webhook scope, and a readonly GET still shows no secret', async () => {
      const { sub, auth } = user();
      const webhook = await createHook(auth);
      const reader = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
      await request(api.http)
        .post(`/webhooks/${webhook.id}/secret`)
        .set(reader)
        .expect(403, { code: 403, message: 'Insufficient scope: requires webhook' });
      await request(api.http).post(`/webhooks/${webhook.id}/secret`).set(auth).expect(200);
      const seen = await request(api.http).get(`/webhooks/${webhook.id}`).set(reader).expect(200);
      expect(seen.body).not.toHaveProperty('secret');
      const [row] = await dataSource.query('SELECT previous_secret FROM webhooks WHERE id = $1', [
        webhook.id,
      ]);
      expect(row.previous_secret).toBe(webhook.secret);
    });

    it('answers 404 for foreign, unknown and malformed ids and changes nothing', async () => {
      const owner = user();
      const stranger = user();
      const webhook = await createHook(owner.auth);
      for (const id of [webhook.id, 'b3c0f7de-6a5e-4c2b-9f1d-2e3a4b5c6d7e', 'nope']) {
        await request(api.http)
          .post(`/webhooks/${id}/secret`)
          .set(stranger.auth)
          .expect(404, { code: 404, message: 'Webhook not found' });
      }
      const [row] = await dataSource.query('SELECT secret, previous_secret FROM webhooks WHERE id = $1', [
        webhook.id,
      ]);
      expect(row).toEqual({ secret: webhook.secret, previous_secret: null });
    });

    it('rotates an inactive webhook too', async () => {
      const { auth } = user();
      const webhook = await createHook(auth, { active: false });
      const response = await request(api.http).post(`/webhooks/${webhook.id}/secret`).set(auth).expect(200);
      expect(response.body.secret).not.toBe(webhook.secret);
    });
  });

  describe('with Redis unreachable', () => {
    let offline: TestApi;
    beforeAll(async () => {
      offline = await createOfflineTestApi(queuePrefix);
    });
    afterAll(() => offline.close());

    it('a ping still answers 202: the delivery row is stored for the sweeper', async () => {
      const { auth } = user();
      const webhook = await createHook(auth);
      const response = await request(offline.http).post(`/webhooks/${webhook.id}/ping`).set(auth).expect(202);
      const [row] = await dataSource.query('SELECT status FROM deliveries WHERE id = $1', [
        response.body.deliveryId,
      ]);
      expect(row.status).toBe('pending');
      expect(await queue.getJob(response.body.deliveryId)).toBeUndefined();
    });
  });
});
