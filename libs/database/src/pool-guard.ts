import type { Pool, PoolClient } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';

const guarded = new WeakSet<PoolClient>();

function guard(client: PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  // The query in progress (if any) fails with this error; the pool drops the client on release.
  client.on('error', () => undefined);
}

/**
 * A pg client checked out of the pool and waiting between queries (a transaction waiting on Redis,
 * the sweeper's session) has no `error` listener of pg-pool's or TypeORM's: when PostgreSQL ends its
 * connection (`pg_terminate_backend`, a failover), the emitted `error` would crash the process. Every
 * client gets a listener for its whole life; the caller still sees the error through its query.
 */
export async function initializeGuardedDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource(options).initialize();
  const pool = (dataSource.driver as unknown as { master: Pool & { _clients?: PoolClient[] } }).master;
  pool.on('connect', guard);
  for (const client of pool._clients ?? []) guard(client);
  return dataSource;
}
