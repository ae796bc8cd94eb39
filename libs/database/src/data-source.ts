import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { buildDataSourceOptions } from './data-source-options';

/** For the TypeORM CLI (`npm run migration:generate` and friends). */
export default new DataSource(buildDataSourceOptions({ databaseUrl: loadConfig().databaseUrl }));
