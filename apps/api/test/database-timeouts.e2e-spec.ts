import { Client, Pool, PoolClient } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { liftStatementTimeout } from '@app/database';
import { bearer, createTestDatabase, dropTestDatabase, mintToken, waitUntil } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const STATEMENT_MS = 1_500;
const POOL_MS = 1_000;
/** "Promptly": the limit that applies, plus a second at most. */
const SLACK_MS = 1_000;
const BUSY = { code: 503, message: 'Database busy, try again later' };
const HOOK = { url: 'https://example.com/hook', events: [{ name: 'api.created' }] };

async function timed<T>(run: () => PromiseLike<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await run();
  return { result, ms: Date.now() - started };
}

/**
 * A table locked for long, or every pooled connection taken, must not make requests wait for it:
 * they answer 503 with Retry-After within the limits, and /health answers at once, from its own
 * connection. A database of its own: the locks taken here would stall other test files.
 */
describe('Database limits: statement and pooled-connection timeouts (e2e)', () => {
  let databaseUrl: string;
  let api: TestApi;
  let pool: Pool & { options: { max: number } };
  let admin: Client;
  const auth = bearer(mintToken({ sub: `db-timeouts-${Date.now()}` }));

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    api = await createTestApi({
      DATABASE_URL: databaseUrl,
      DB_STATEMENT_TIMEOUT: `${STATEMENT_MS}ms`,
      DB_POOL_TIMEOUT: `${POOL_MS}ms`,
      // A pool of 11.
      DELIVERY_CONCURRENCY: '1',
    });
    pool = (api.app.get(DataSource).driver as unknown as { master: typeof pool }).master;
    admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await api?.close();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  const saturated = () => pool.totalCount >= pool.options.max && pool.idleCount === 0;

  function expectBusy(response: request.Response, withinMs: number, ms: number): void {
    expect({ status: response.status, body: response.body as unknown }).toEqual({ status: 503, body: BUSY });
    expect(response.headers['retry-after']).toBe(String(Math.ceil(STATEMENT_MS / 1000)));
    expect(ms).toBeLessThan(withinMs + SLACK_MS);
  }

  async function expectHealth(database: 'up' | 'busy'): Promise<void> {
    const { result, ms } = await timed(() => request(api.http).get('/health'));
    expect({ status: result.status, body: result.body as unknown }).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database, redis: 'up' } },
    });
    expect(ms).toBeLessThan(SLACK_MS);
  }

  it('a locked table: requests answer 503 in time, /health at once; all works once it is released', async () => {
    const kept = await request(api.http).post('/webhooks').set(auth).send(HOOK).expect(201);
    await admin.query('BEGIN');
    try {
      await admin.query('LOCK TABLE webhooks IN ACCESS EXCLUSIVE MODE');
      const answers = await Promise.all([
        timed(() => request(api.http).get('/webhooks').set(auth)),
        timed(() => request(api.http).post('/webhooks').set(auth).send(HOOK)),
        timed(() => request(api.http).delete(`/webhooks/${kept.body.id}`).set(auth)),
      ]);
      for (const { result, ms } of answers) expectBusy(result, STATEMENT_MS, ms);
      await expectHealth('up');

      // More requests than connections: those without one give up after DB_POOL_TIMEOUT, and
      // /health, on its own connection, does not queue behind them.
      const flood = Array.from({ length: pool.options.max + 3 }, () =>
        timed(() => request(api.http).get('/webhooks').set(auth)),
      );
      await waitUntil(async () => saturated(), 5_000, 'every pooled connection taken');
      await expectHealth('busy');
      for (const { result, ms } of await Promise.all(flood)) expectBusy(result, STATEMENT_MS, ms);
    } finally {
      await admin.query('ROLLBACK');
    }

    await request(api.http).get('/webhooks').set(auth).expect(200);
    await request(api.http).post('/webhooks').set(auth).send(HOOK).expect(201);
    await request(api.http).delete(`/webhooks/${kept.body.id}`).set(auth).expect(204);
    await expectHealth('up');
  });

  it('deleting a webhook may run long, but waits for a lock no longer than DB_STATEMENT_TIMEOUT', async () => {
    const hook = await request(api.http).post('/webhooks').set(auth).send(HOOK).expect(201);
    // The cascade to deliveries waits on this lock, past the webhook row's own.
    await admin.query('BEGIN');
    try {
      await admin.query('LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE');
      const { result, ms } = await timed(() =>
        request(api.http).delete(`/webhooks/${hook.body.id}`).set(auth),
      );
      expectBusy(result, STATEMENT_MS, ms);
    } finally {
      await admin.query('ROLLBACK');
    }
    await request(api.http).delete(`/webhooks/${hook.body.id}`).set(auth).expect(204);

    // What the deletion's lifted limit allows: a statement longer than DB_STATEMENT_TIMEOUT.
    const dataSource = api.app.get(DataSource);
    const sleep = `SELECT pg_sleep(${(STATEMENT_MS + 300) / 1000})`;
    await expect(dataSource.query(sleep)).rejects.toThrow(/statement timeout/);
    await dataSource.transaction(async (manager) => {
      await liftStatementTimeout(manager, STATEMENT_MS);
      await manager.query(sleep);
    });
  });

  it('every pooled connection taken: no connection within DB_POOL_TIMEOUT is a 503, /health says busy', async () => {
    const held: PoolClient[] = await Promise.all(
      Array.from({ length: pool.options.max }, () => pool.connect()),
    );
    try {
      const { result, ms } = await timed(() => request(api.http).get('/webhooks').set(auth));
      expectBusy(result, POOL_MS, ms);
      await expectHealth('busy');
    } finally {
      for (const client of held) client.release();
    }
    await request(api.http).get('/webhooks').set(auth).expect(200);
    await expectHealth('up');
  });

  it('a connection ended under a request (restart, failover): 503 "Database unavailable", then requests work again', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query('LOCK TABLE webhooks IN ACCESS EXCLUSIVE MODE');
      const waiters = async () =>
        (
          await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          )
        ).rows.map((row) => row.pid);
      const before = new Set(await waiters());
      const answer = request(api.http)
        .get('/webhooks')
        .set(auth)
        .then((response) => response);
      // The request's backend, waiting on the lock: ended as a restart or failover would end it.
      const pid = await waitUntil(async () => (await waiters()).find((candidate) => !before.has(candidate)));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const response = await answer;
      expect({ status: response.status, body: response.body as unknown }).toEqual({
        status: 503,
        body: { code: 503, message: 'Database unavailable, try again later' },
      });
      expect(response.headers['retry-after']).toBe('1');
    } finally {
      await admin.query('ROLLBACK');
    }
    // A pooled connection that died idle is found out by the request that takes it (a 503 too):
    // requests work again once the pool has let go of the dead ones.
    const statuses: number[] = [];
    await waitUntil(async () => {
      statuses.push((await request(api.http).get('/webhooks').set(auth)).status);
      return statuses.at(-1) === 200 || undefined;
    });
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
  });
});
