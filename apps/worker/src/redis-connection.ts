import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { createRedisClient } from '@app/queue';

/** The worker's own Redis connection, for health. BullMQ opens its own connections. */
@Injectable()
export class RedisConnection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly client: Redis | Cluster;

  constructor(config: AppConfig) {
    this.client = createRedisClient(
      { redisUrl: config.redisUrl, cluster: config.redisCluster },
      {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        connectionName: 'event-api-worker',
      },
    );
    this.client.on('error', () => undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
