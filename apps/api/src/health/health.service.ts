import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Cluster, Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { AppConfig, queueTarget } from '@app/config';
import { HealthReport, runHealthChecks } from '@app/health';
import { createRedisClient, FAIL_FAST } from '@app/queue';

@Injectable()
export class HealthService implements OnModuleDestroy {
  private readonly redis: Redis | Cluster;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    // Its own small connection: health must answer even when other connections are saturated.
    this.redis = createRedisClient(queueTarget(config), {
      ...FAIL_FAST,
      lazyConnect: true,
      connectionName: 'event-api-health',
    });
    this.redis.on('error', () => undefined);
  }

  check(): Promise<HealthReport> {
    return runHealthChecks({
      database: () => this.dataSource.query('SELECT 1'),
      redis: async () => {
        if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
        return this.redis.ping();
      },
    });
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
