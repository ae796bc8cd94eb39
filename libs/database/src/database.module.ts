import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '@app/config';
import { SecretBox } from '@app/signing';
import { buildDataSourceOptions } from './data-source-options';
import { DatabaseProbe } from './database-probe';
import { initializeGuardedDataSource } from './pool-guard';
import { sealSecretColumns } from './secret-column';

/** Which process the pool serves: its limits differ (README → Configuration). */
export type DatabaseClient = 'api' | 'worker';

@Module({})
export class DatabaseModule {
  static forRoot(client: DatabaseClient): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) =>
            buildDataSourceOptions({
              databaseUrl: config.databaseUrl,
              poolSize: config.databasePoolSize,
              timeouts: config.databaseTimeouts[client],
            }),
          dataSourceFactory: (options) => initializeGuardedDataSource(options as DataSourceOptions),
        }),
      ],
      providers: [
        {
          provide: SecretBox,
          inject: [AppConfig, DataSource],
          // Providers are all built before any lifecycle hook runs, so before the first query.
          useFactory: (config: AppConfig, dataSource: DataSource) => {
            const box = new SecretBox(config.secretsEncryptionKey, config.secretsDecryptionKeys);
            sealSecretColumns(dataSource, box);
            return box;
          },
        },
        DatabaseProbe,
      ],
      exports: [SecretBox, DatabaseProbe],
    };
  }
}
