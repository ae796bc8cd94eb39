import { randomUUID } from 'node:crypto';
import { Client, Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase } from '@app/testing';
import { CircuitService } from '../../apps/worker/src/circuit/circuit.service';
import { DeliveryStore } from '../../apps/worker/src/delivery/delivery.store';
import { HealthServer } from '../../apps/worker/src/health-server';
import { Retention } from '../../apps/worker/src/maintenance/retention';
import { createTestWorker, pipelineEnv, TestWorker } from './helpers/pipeline';

const STATEMENT_MS = 1_500;
/** A statement made slower than the limit by a trigger (a large backlog, in effect). */
const SLOW_SECONDS = (STATEMENT_MS + 300) / 1000;

/**
 * The worker's database limits: its statements are cut at WORKER_DB_STATEMENT_TIMEOUT, except
 * those whose work grows with the data, which only have their lock waits bounded; its /health
 * answers from a connection of its own, so a saturated pool reads as busy, not down.
 */
describe('Worker database limits (e2e)', () => {
  let databaseUrl: string;
  let worker: TestWorker;
  let pool: Pool & { options: { max: number } };
  let healthUrl: string;
  let admin: Client;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    worker = await createTestWorker(
      pipelineEnv('db-timeouts', {
        DATABASE_URL: databaseUrl,
        WORKER_DB_STATEMENT_TIMEOUT: `${STATEMENT_MS}ms`,
        // The keeper and the sweeper run when the test says so.
        DELIVERY_SWEEP_INTERVAL: '1h',
      }),
    );
    pool = (worker.app.get(DataSource).driver as unknown as { master: typeof pool }).master;
    healthUrl = `http://127.0.0.1:${worker.app.get(HealthServer).port}/health`;
  });
  afterAll(async () => {
    await admin?.end();
    await worker?.close();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  async function health(): Promise<{ status: number; body: unknown; ms: number }> {
    const started = Date.now();
    const response = await fetch(healthUrl);
    return { status: response.status, body: await response.json(), ms: Date.now() - started };
  }

  it('/health answers at once while every pooled connection is taken, and says busy', async () => {
    const held: PoolClient[] = await Promise.all(
      Array.from({ length: pool.options.max }, () => pool.connect()),
    );
    try {
      const { status, body, ms } = await health();
      expect({ status, body }).toEqual({
        status: 200,
        body: { status: 'ok', checks: { database: 'busy', redis: 'up' } },
      });
      expect(ms).toBeLessThan(1_000);
    } finally {
      for (const client of held) client.release();
    }
    expect((await health()).body).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
  });

  it('cuts a statement at WORKER_DB_STATEMENT_TIMEOUT', async () => {
    const dataSource = worker.app.get(DataSource);
    expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '1500ms' }]);
    await expect(dataSource.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
  });

  it('retention and dropping a switched-off backlog may run past it; their lock waits may not', async () => {
    const webhooks = [randomUUID(), randomUUID(), randomUUID()];
    const [disabling, switchedOff, old] = webhooks;
    const longAgo = "now() - interval '40 days'";
    await admin.query(
      `INSERT INTO webhooks (id, owner_id, user_id, url, events, secret, active, paused_until)
       SELECT id, 'db-timeouts', 'db-timeouts', 'https://example.com/', '{api.created}', 's', id <> $2, CASE WHEN id = $2 THEN now() END
         FROM unnest($1::uuid[]) AS w(id)`,
      [webhooks, switchedOff],
    );
    await admin.query(`INSERT INTO events (id, name, body, created_at) VALUES ('e-now', 'api.created', '{}', now()),
                         ('e-old', 'api.created', '{}', ${longAgo})`);
    const [first] = (
      await admin.query<{ id: string }>(
        `INSERT INTO deliveries (event_id, webhook_id, status, next_attempt_at, created_at, updated_at)
         VALUES ('e-now', $1, 'pending', now() + interval '1 hour', now(), now()),
                ('e-now', $2, 'paused', now(), now(), now()),
                ('e-old', $3, 'succeeded', now(), ${longAgo}, ${longAgo})
         RETURNING id`,
        [disabling, switchedOff, old],
      )
    ).rows;
    await admin.query(
      `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success, response, duration_ms, created_at)
       SELECT gen_random_uuid(), id, webhook_id, event_id, 'api.created', 1, true, '', 1, ${longAgo} FROM deliveries WHERE event_id = 'e-old'`,
    );
    await admin.query(`CREATE FUNCTION slow_statement() RETURNS trigger LANGUAGE plpgsql
                         AS $$ BEGIN PERFORM pg_sleep(${SLOW_SECONDS}); RETURN NULL; END $$`);
    await admin.query(
      `CREATE TRIGGER slow AFTER UPDATE ON deliveries FOR EACH STATEMENT EXECUTE FUNCTION slow_statement()`,
    );
    await admin.query(
      `CREATE TRIGGER slow AFTER DELETE ON delivery_attempts FOR EACH STATEMENT EXECUTE FUNCTION slow_statement()`,
    );
    const store = worker.app.get(DeliveryStore);
    const gone = {
      webhookId: disabling,
      deliveryId: first.id,
      statusCode: 410,
      error: null,
      response: '',
      ownerCaused: false,
    };

    await admin.query('BEGIN');
    try {
      await admin.query('LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(store.disableWebhook(gone, 'gone', null)).rejects.toThrow(/lock timeout/);
      expect(Date.now() - started).toBeLessThan(STATEMENT_MS + 1_000);
    } finally {
      await admin.query('ROLLBACK');
    }

    await expect(store.disableWebhook(gone, 'gone', null)).resolves.toBe(true);
    await worker.app.get(CircuitService).probeCooledDown();
    expect(await worker.app.get(Retention).purge()).toBe(3);
    const { rows } = await admin.query<{ webhook_id: string; status: string }>(
      'SELECT webhook_id, status FROM deliveries ORDER BY array_position($1::uuid[], webhook_id)',
      [webhooks],
    );
    expect(rows).toEqual([
      { webhook_id: disabling, status: 'failed' },
      { webhook_id: switchedOff, status: 'dropped' },
    ]);
  });
});
