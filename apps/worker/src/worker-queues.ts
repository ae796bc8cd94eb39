import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '@app/config';
import { EventPublisher } from '@app/events';
import { DeliveryQueue, QueueName, redisOptionsFromUrl } from '@app/queue';

/** The worker's producers: delivery jobs (fan-out, sweeper) and relayed outbox events. */
@Injectable()
export class WorkerQueues implements OnApplicationShutdown {
  readonly deliveries: DeliveryQueue;
  readonly publisher: EventPublisher;
  /** The `events` queue, for its depth in /metrics (the publisher only adds). */
  readonly eventsQueue: Queue;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.deliveries = new DeliveryQueue({ redisUrl: config.redisUrl, prefix: config.queuePrefix });
    this.publisher = new EventPublisher({ redisUrl: config.redisUrl, prefix: config.queuePrefix });
    this.eventsQueue = new Queue(QueueName.Events, {
      prefix: config.queuePrefix,
      connection: {
        ...redisOptionsFromUrl(config.redisUrl),
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      },
    });
    this.eventsQueue.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.deliveries.close(), this.publisher.close(), this.eventsQueue.close()]);
  }
}
