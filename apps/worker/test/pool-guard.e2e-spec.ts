import { Client, Pool } from 'pg';
import { buildDataSourceOptions, initializeGuardedDataSource } from '@app/database';

/**
 * A connection PostgreSQL ends while its client is checked out and idle (a transaction waiting on
 * Redis, the sweeper's session) must fail that client's next query, not crash the process with an
 * unhandled `error` event (found by the reliability suite's pg_terminate_backend scenario).
 */
describe('PostgreSQL ending a checked-out connection (e2e)', () => {
  it('the next query fails, the pool recovers, the process lives on', async () => {
    const dataSource = await initializeGuardedDataSource(
      buildDataSourceOptions({ databaseUrl: process.env.EVENT_API_TEST_DATABASE_URL as string, poolSize: 2 }),
    );
    const admin = new Client({ connectionString: process.env.EVENT_API_TEST_DATABASE_URL });
    await admin.connect();
    try {
      // A client straight from the pool, as the prepared hot-path statements use it (TypeORM's own
      // query runners guard theirs); without the guard this test crashes the process.
      const pool = (dataSource.driver as unknown as { master: Pool }).master;
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      // The socket reports the end while nothing is running on it.
      await ended;
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release();
      const [{ one }] = await dataSource.query<Array<{ one: number }>>('SELECT 1 AS one');
      expect(one).toBe(1);
    } finally {
      await admin.end();
      await dataSource.destroy();
    }
  });
});
