import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { AppConfig, queueTarget } from '@app/config';
import { connectWithin, createRedisClient, FAIL_FAST } from '@app/queue';
import { REDIS_READY_TIMEOUT_MS } from './redis-checks';

/** The worker's own Redis connection, for health. BullMQ opens its own connections. */
@Injectable()
export class RedisConnection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly client: Redis | Cluster;

  constructor(config: AppConfig) {
    this.client = createRedisClient(queueTarget(config), {
      ...FAIL_FAST,
      lazyConnect: true,
      connectionName: 'event-api-worker',
    });
    this.client.on('error', () => undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    await connectWithin(this.client, REDIS_READY_TIMEOUT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
