import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, createWebhook, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';
import { portalLogin } from './helpers/portal';

const HOUR_MS = 3_600_000;

describe('GET /webhooks/{id}/stats: attempts per hour, last 24 h (e2e)', () => {
  let api: TestApi;
  let db: DataSource;
  beforeAll(async () => {
    api = await createTestApi();
    db = api.app.get(DataSource);
  });
  afterAll(() => api.close());

  /** One event, delivery and attempt per entry, at `hoursAgo` (plus a minute into that hour). */
  async function seed(
    webhookId: string,
    attempts: Array<{ hoursAgo: number; success: boolean }>,
  ): Promise<void> {
    for (const { hoursAgo, success } of attempts) {
      const eventId = randomUUID();
      const deliveryId = randomUUID();
      await db.query(`INSERT INTO events (id, name, body) VALUES ($1, 'api.created', '{}')`, [eventId]);
      await db.query(
        `INSERT INTO deliveries (id, event_id, webhook_id, status, attempts, next_attempt_at)
         VALUES ($1, $2, $3, 'succeeded', 1, now())`,
        [deliveryId, eventId, webhookId],
      );
      const at = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - hoursAgo * HOUR_MS + 60_000);
      await db.query(
        `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
           status_code, response, duration_ms, created_at)
         VALUES ($1, $2, $3, $4, 'api.created', 1, $5, $6, '', 5, $7)`,
        [randomUUID(), deliveryId, webhookId, eventId, success, success ? 200 : 500, at],
      );
    }
  }

  it('counts successes and failures per UTC hour, 24 hours, oldest first, zeros included', async () => {
    const auth = bearer(mintToken());
    const webhook = await createWebhook(api.http, auth);
    const other = await createWebhook(api.http, auth);
    await seed(webhook.id, [
      { hoursAgo: 0, success: true },
      { hoursAgo: 0, success: true },
      { hoursAgo: 0, success: false },
      { hoursAgo: 5, success: false },
      { hoursAgo: 23, success: true },
      // Older than the window, and another webhook's: not counted.
      { hoursAgo: 24, success: true },
      { hoursAgo: 30, success: false },
    ]);
    await seed(other.id, [{ hoursAgo: 0, success: false }]);
    const response = await request(api.http).get(`/webhooks/${webhook.id}/stats`).set(auth).expect(200);
    const hours = response.body.hours as Array<{ hour: string; succeeded: number; failed: number }>;
    expect(hours).toHaveLength(24);
    const current = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    expect(hours.map((entry) => Date.parse(entry.hour))).toEqual(
      Array.from({ length: 24 }, (_, index) => current - (23 - index) * HOUR_MS),
    );
    expect(hours[0].hour).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    expect(hours[23]).toMatchObject({ succeeded: 2, failed: 1 });
    expect(hours[18]).toMatchObject({ succeeded: 0, failed: 1 });
    expect(hours[0]).toMatchObject({ succeeded: 1, failed: 0 });
    const total = hours.reduce((sum, entry) => sum + entry.succeeded + entry.failed, 0);
    expect(total).toBe(5);
  });

  it('answers a readonly token and the portal alike, and 404 for foreign, unknown or malformed ids', async () => {
    const browser = await portalLogin(api.http, { scope: 'webhook.readonly' });
    const webhook = await createWebhook(api.http, bearer(mintToken({ sub: browser.sub })));
    const viaPortal = await request(api.http)
      .get(`/portal/api/webhooks/${webhook.id}/stats`)
      .set('Cookie', browser.cookie)
      .expect(200);
    expect(viaPortal.body.hours).toHaveLength(24);
    const stranger = bearer(mintToken());
    for (const id of [webhook.id, randomUUID(), 'not-a-uuid', '%00']) {
      const response = await request(api.http).get(`/webhooks/${id}/stats`).set(stranger);
      expect({ id, status: response.status }).toEqual({ id, status: 404 });
    }
  });
});
