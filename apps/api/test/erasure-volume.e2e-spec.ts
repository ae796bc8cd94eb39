import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, createTestDatabase, createWebhook, dropTestDatabase, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const DELIVERIES = 100_000;
const ATTEMPTS_PER_DELIVERY = 2;
/** Events also delivered to another owner's webhook: their bodies must stay. */
const SHARED = 10_000;
/** Far above the time measured (README → Erasure), even on a loaded machine: a guard against minutes. */
const BOUND_MS = 30_000;

/**
 * README → API → Erasure: a user with 100,000 deliveries (200,000 attempts) is erased in one request
 * under the API's default DB_STATEMENT_TIMEOUT, and the time it took is printed. A database of its
 * own, so the volume slows no other test file.
 */
describe('Erasure of a large history (e2e)', () => {
  let api: TestApi;
  let db: DataSource;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    api = await createTestApi({ DATABASE_URL: databaseUrl, DB_STATEMENT_TIMEOUT: '5s' });
    db = api.app.get(DataSource);
  });
  afterAll(async () => {
    await api.close();
    await dropTestDatabase(databaseUrl);
  });

  let sub: string;
  let auth: Record<string, string>;

  // Seeding takes longer than the erasure (about a minute on a loaded machine).
  beforeAll(async () => {
    sub = `user-${randomUUID()}`;
    auth = bearer(mintToken({ sub }));
    const hooks = await Promise.all([1, 2, 3].map(() => createWebhook(api.http, auth)));
    const other = await createWebhook(api.http, bearer(mintToken()));
    const ids = hooks.map((hook) => hook.id);
    await db.transaction(async (manager) => {
      await manager.query(`SET LOCAL statement_timeout = 0`);
      await manager.query(
        `INSERT INTO events (id, name, body, created_at)
         SELECT 'volume-' || n, 'api.created', repeat('x', 400), now() - n * interval '1 second'
           FROM generate_series(1, $1) AS n`,
        [DELIVERIES],
      );
      await manager.query(
        `INSERT INTO deliveries (event_id, webhook_id, status, attempts, next_attempt_at)
         SELECT 'volume-' || n, ($2::uuid[])[1 + n % 3], CASE WHEN n % 100 = 0 THEN 'pending' ELSE 'succeeded' END,
                $3, now() + interval '1 hour'
           FROM generate_series(1, $1) AS n`,
        [DELIVERIES, ids, ATTEMPTS_PER_DELIVERY],
      );
      await manager.query(
        `INSERT INTO deliveries (event_id, webhook_id, status) SELECT 'volume-' || n, $2, 'succeeded'
           FROM generate_series(1, $1) AS n`,
        [SHARED, other.id],
      );
      await manager.query(
        `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
                                        status_code, response, duration_ms, created_at)
         SELECT gen_random_uuid(), d.id, d.webhook_id, d.event_id, 'api.created', a, a = $2, 200,
                repeat('r', 200), 10, d.created_at + a * interval '1 second'
           FROM deliveries d CROSS JOIN generate_series(1, $2) AS a
          WHERE d.webhook_id = ANY($1::uuid[])`,
        [ids, ATTEMPTS_PER_DELIVERY],
      );
      await manager.query('ANALYZE');
    });
  }, 180_000);

  it(`erases ${DELIVERIES} deliveries with ${DELIVERIES * ATTEMPTS_PER_DELIVERY} attempts in one request`, async () => {
    const started = process.hrtime.bigint();
    const response = await request(api.http).delete(`/users/${sub}/data`).set(auth);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // The figure in README → API → Erasure.
    process.stdout.write(
      `erasure of ${DELIVERIES} deliveries / ${DELIVERIES * ATTEMPTS_PER_DELIVERY} attempts: ${Math.round(elapsedMs)} ms\n`,
    );

    expect({ status: response.status, body: response.body as unknown }).toEqual({
      status: 200,
      body: {
        userId: sub,
        webhooks: 3,
        deliveries: DELIVERIES,
        pendingDeliveries: DELIVERIES / 100,
        attempts: DELIVERIES * ATTEMPTS_PER_DELIVERY,
        events: DELIVERIES - SHARED,
        lifecycleEvents: expect.any(Number),
      },
    });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    const [left] = await db.query<Array<{ events: number; deliveries: number }>>(
      `SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM deliveries) AS deliveries`,
    );
    expect(left).toEqual({ events: SHARED, deliveries: SHARED });
  }, 60_000);
});
