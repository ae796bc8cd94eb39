import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '@app/config';
import { redisOptionsFromUrl } from '@app/queue';

/** The worker's own Redis connection, for health. BullMQ opens its own connections. */
@Injectable()
export class RedisConnection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly client: Redis;

  constructor(config: AppConfig) {
    this.client = new Redis({
      ...redisOptionsFromUrl(config.redisUrl),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectionName: 'event-api-worker',
    });
    this.client.on('error', () => undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
