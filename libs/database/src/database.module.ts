import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@app/config';
import { SecretBox } from '@app/signing';
import { buildDataSourceOptions } from './data-source-options';
import { DatabaseProbe } from './database-probe';
import { initializeGuardedDataSource } from './pool-guard';
import { useSecretBox } from './secret-column';

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
          useFactory: (config: AppConfig) => {
            useSecretBox(new SecretBox(config.secretsEncryptionKey, config.secretsDecryptionKeys));
            return buildDataSourceOptions({
              databaseUrl: config.databaseUrl,
              poolSize: config.databasePoolSize,
              timeouts: config.databaseTimeouts[client],
            });
          },
          dataSourceFactory: (options) => initializeGuardedDataSource(options as DataSourceOptions),
        }),
      ],
      providers: [DatabaseProbe],
      exports: [DatabaseProbe],
    };
  }
}
