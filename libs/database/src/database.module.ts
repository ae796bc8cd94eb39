import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@app/config';
import { SecretBox } from '@app/signing';
import { buildDataSourceOptions } from './data-source-options';
import { initializeGuardedDataSource } from './pool-guard';
import { useSecretBox } from './secret-column';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        useSecretBox(new SecretBox(config.secretsEncryptionKey, config.secretsDecryptionKeys));
        return buildDataSourceOptions({ databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize });
      },
      dataSourceFactory: (options) => initializeGuardedDataSource(options as DataSourceOptions),
    }),
  ],
})
export class DatabaseModule {}
