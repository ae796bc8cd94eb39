import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { AppConfig, queueTarget } from '@app/config';
import { connectOrExplain, createRedisClient, FAIL_FAST, RedisTarget } from '@app/queue';
import { REDIS_READY_TIMEOUT_MS } from './redis-checks';

/** The worker's own Redis connection, for health. BullMQ opens its own connections. */
@Injectable()
export class RedisConnection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly client: Redis | Cluster;
  private readonly target: RedisTarget;

  constructor(config: AppConfig) {
    this.target = queueTarget(config);
    this.client = createRedisClient(this.target, {
      ...FAIL_FAST,
      lazyConnect: true,
      connectionName: 'event-api-worker',
    });
    this.client.on('error', () => undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    await connectOrExplain(this.client, this.target, REDIS_READY_TIMEOUT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
