import { Client, DatabaseError } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { assertDatabaseReachable, databaseConnectionProblem, databaseNameOf } from './database-reachability';

// Advisory lock keys: any fixed numbers, shared by every API and worker process.
const CREATE_DATABASE_LOCK = 4_711_000_001;
const MIGRATION_LOCK = 4_711_000_002;

const PG_DUPLICATE_DATABASE = '42P04';

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the database named in the URL when it does not exist. Several processes may start at
 * once on a fresh server: they serialize on an advisory lock and treat "already exists" as success.
 */
async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  if (await assertDatabaseReachable(databaseUrl, true)) return;
  const name = databaseNameOf(databaseUrl);
  const maintenanceUrl = new URL(databaseUrl);
  maintenanceUrl.pathname = '/postgres';
  const client = new Client({ connectionString: maintenanceUrl.toString() });
  await client.connect().catch((error: unknown) => {
    throw new Error(databaseConnectionProblem(maintenanceUrl.toString(), error), { cause: error });
  });
  try {
    await client.query('SELECT pg_advisory_lock($1)', [CREATE_DATABASE_LOCK]);
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    }
  } catch (error) {
    if (!(error instanceof DatabaseError && error.code === PG_DUPLICATE_DATABASE)) throw error;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [CREATE_DATABASE_LOCK]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** How often a process waiting for another's migration asks for the lock again. */
const MIGRATION_LOCK_POLL_MS = 200;

/**
 * Applies pending migrations, one process at a time (session advisory lock on one connection). The
 * lock is asked for again and again rather than waited for: a session waiting in pg_advisory_lock
 * keeps the snapshot of its statement, and a migration's CREATE INDEX CONCURRENTLY waits for every
 * older snapshot in the database, so the migrating process would wait for the waiting ones and they
 * for it, for ever (PostgreSQL sees no deadlock: the lock is held by another of its connections).
 */
async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    for (;;) {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        MIGRATION_LOCK,
      ])) as Array<{ locked: boolean }>;
      if (locked) break;
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_POLL_MS));
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** Start-up step of API and worker: create the database if missing, then migrate it. */
export async function prepareDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabaseExists(databaseUrl);
  const dataSource = new DataSource(
    buildDataSourceOptions({ databaseUrl, poolSize: 2, applicationName: 'event-api-migrate' }),
  );
  await dataSource.initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
