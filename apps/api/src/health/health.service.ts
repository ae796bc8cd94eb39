import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { AppConfig, queueTarget } from '@app/config';
import { DatabaseProbe } from '@app/database';
import { HealthReport, runHealthChecks } from '@app/health';
import { createRedisClient, FAIL_FAST } from '@app/queue';

@Injectable()
export class HealthService implements OnModuleDestroy {
  private readonly redis: Redis | Cluster;

  constructor(
    private readonly database: DatabaseProbe,
    config: AppConfig,
  ) {
    // Its own connections (this one, the DatabaseProbe's): health must answer even when the
    // connections requests use are all taken.
    this.redis = createRedisClient(queueTarget(config), {
      ...FAIL_FAST,
      lazyConnect: true,
      connectionName: 'event-api-health',
    });
    this.redis.on('error', () => undefined);
  }

  check(): Promise<HealthReport> {
    return runHealthChecks({
      database: () => this.database.check(),
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
