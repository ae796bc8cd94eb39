import { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase } from '@app/testing';
import { HealthServer } from '../src/health-server';
import { createTestWorker, pipelineEnv, TestWorker } from './helpers/pipeline';

/**
 * The worker's database limits: its statements are cut at WORKER_DB_STATEMENT_TIMEOUT, and its
 * /health answers from a connection of its own, so a saturated pool reads as busy, not down.
 */
describe('Worker database limits (e2e)', () => {
  let databaseUrl: string;
  let worker: TestWorker;
  let pool: Pool & { options: { max: number } };
  let healthUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    worker = await createTestWorker(
      pipelineEnv('db-timeouts', { DATABASE_URL: databaseUrl, WORKER_DB_STATEMENT_TIMEOUT: '1500ms' }),
    );
    pool = (worker.app.get(DataSource).driver as unknown as { master: typeof pool }).master;
    healthUrl = `http://127.0.0.1:${worker.app.get(HealthServer).port}/health`;
  });
  afterAll(async () => {
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
});
