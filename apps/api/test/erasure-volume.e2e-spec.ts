import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, createTestDatabase, createWebhook, dropTestDatabase, mintToken } from '@app/testing';
import { LOCK_EVENTS_SQL } from '../src/erasure/erasure.sql';
import { createTestApi, TestApi } from './helpers/test-app';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const DELIVERIES = 100_000;
const ATTEMPTS_PER_DELIVERY = 2;
/** Events also delivered to another owner's webhook: their bodies must stay. */
const SHARED = 10_000;
/** Events the user caused (user.id) that went to another owner's webhook: erased all the same. */
const CAUSED = 10_000;
/** Of those, deliveries not finished yet: dropped. */
const CAUSED_PENDING = 1_000;
/** Everybody else's events, which the erasure must find the user's among by index, not by scanning. */
const BACKGROUND = 200_000;
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
        `INSERT INTO events (id, name, body, user_id, created_at)
         SELECT 'caused-' || n, 'api.created', repeat('x', 400), $2, now() - n * interval '1 second'
           FROM generate_series(1, $1) AS n`,
        [CAUSED, sub],
      );
      await manager.query(
        `INSERT INTO deliveries (event_id, webhook_id, status)
         SELECT 'caused-' || n, $2, CASE WHEN n <= $3 THEN 'pending' ELSE 'succeeded' END
           FROM generate_series(1, $1) AS n`,
        [CAUSED, other.id, CAUSED_PENDING],
      );
      await manager.query(
        `INSERT INTO events (id, name, body, owner_id, user_id, created_at)
         SELECT 'background-' || n, 'api.created', repeat('x', 400), 'owner-' || n % 1000, 'user-' || n % 5000,
                now() - n * interval '1 second'
           FROM generate_series(1, $1) AS n`,
        [BACKGROUND],
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

  it("finds the user's events by index: owner, user and primary key, never a scan of all events", async () => {
    const [{ 'QUERY PLAN': plan }] = await db.query<Array<{ 'QUERY PLAN': unknown }>>(
      `EXPLAIN (FORMAT JSON) ${LOCK_EVENTS_SQL.replace('$1', `ARRAY['volume-1', 'volume-2']::text[]`).replace(/\$2/g, `'${sub}'`)}`,
    );
    const used: string[] = [];
    const walk = (node: PlanNode) => {
      used.push([node['Node Type'], node['Relation Name'], node['Index Name']].filter(Boolean).join(' '));
      node.Plans?.forEach(walk);
    };
    walk((plan as Array<{ Plan: PlanNode }>)[0].Plan);
    expect(used).not.toContain('Seq Scan events');
    expect(used).toEqual(
      expect.arrayContaining([
        'Bitmap Index Scan PK_events',
        'Bitmap Index Scan IDX_events_owner',
        'Bitmap Index Scan IDX_events_user',
      ]),
    );
  });

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
        events: DELIVERIES - SHARED + CAUSED,
        droppedDeliveries: CAUSED_PENDING,
        lifecycleEvents: expect.any(Number),
        portalSessions: 0,
        portalLinks: 0,
      },
    });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    const [left] = await db.query<Array<Record<string, number>>>(
      `SELECT (SELECT count(*)::int FROM events WHERE erased_at IS NULL) AS events,
              (SELECT count(*)::int FROM deliveries) AS deliveries,
              (SELECT count(*)::int FROM deliveries WHERE status = 'dropped') AS dropped`,
    );
    expect(left).toEqual({
      events: SHARED + BACKGROUND,
      deliveries: SHARED + CAUSED,
      dropped: CAUSED_PENDING,
    });
  }, 60_000);
});
