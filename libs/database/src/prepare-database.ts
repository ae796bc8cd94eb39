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

/** Applies pending migrations, one process at a time (session advisory lock on one connection). */
async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
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
