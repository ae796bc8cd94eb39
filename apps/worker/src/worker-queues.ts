import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { EventPublisher } from '@app/events';
import { DeliveryQueue } from '@app/queue';

/** The worker's producers: delivery jobs (fan-out, sweeper) and relayed outbox events. */
@Injectable()
export class WorkerQueues implements OnApplicationShutdown {
  readonly deliveries: DeliveryQueue;
  readonly publisher: EventPublisher;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.deliveries = new DeliveryQueue({ redisUrl: config.redisUrl, prefix: config.queuePrefix });
    this.publisher = new EventPublisher({ redisUrl: config.redisUrl, prefix: config.queuePrefix });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.deliveries.close(), this.publisher.close()]);
  }
}
