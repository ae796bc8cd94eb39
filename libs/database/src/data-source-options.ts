import { DataSourceOptions } from 'typeorm';
import type { DatabaseTimeouts } from '@app/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DataSourceSettings {
  databaseUrl: string;
  /** Pool size per process. */
  poolSize?: number;
  applicationName?: string;
  /** The serving processes' limits; without, none (migrations, the CLI's batch jobs). */
  timeouts?: DatabaseTimeouts;
}

export function buildDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  const { timeouts } = settings;
  return {
    type: 'postgres',
    url: settings.databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // Never synchronize: the schema comes from migrations only (a test checks they match the entities).
    synchronize: false,
    migrationsRun: false,
    applicationName: settings.applicationName ?? 'event-api',
    extra: {
      max: settings.poolSize ?? 10,
      // A startup parameter of each connection, so PostgreSQL itself cancels a statement (lock
      // waits included) past it; pg-pool's wait covers both an idle connection and a new one.
      ...(timeouts
        ? { statement_timeout: timeouts.statementMs, connectionTimeoutMillis: timeouts.poolMs }
        : {}),
    },
  };
}
