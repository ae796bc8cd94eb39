import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DataSourceSettings {
  databaseUrl: string;
  /** Pool size per process. */
  poolSize?: number;
  applicationName?: string;
}

export function buildDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
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
    extra: { max: settings.poolSize ?? 10 },
  };
}
