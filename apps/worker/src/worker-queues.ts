import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, queueTarget } from '@app/config';
import { EventPublisher } from '@app/events';
import {
  bullConnection,
  closeBullClient,
  DeliveryQueue,
  FAIL_FAST,
  openQueue,
  QueueName,
  TypedQueue,
} from '@app/queue';

/** The worker's producers: delivery jobs (fan-out, sweeper) and relayed outbox events. */
@Injectable()
export class WorkerQueues implements OnApplicationShutdown {
  readonly deliveries: DeliveryQueue;
  readonly publisher: EventPublisher;
  /** The `events` queue, for its depth in /metrics (the publisher only adds). */
  readonly eventsQueue: TypedQueue<typeof QueueName.Events>;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const target = queueTarget(config);
    this.deliveries = new DeliveryQueue(target);
    this.publisher = new EventPublisher(target);
    this.eventsQueue = openQueue(QueueName.Events, {
      prefix: config.queuePrefix,
      connection: bullConnection(target, FAIL_FAST),
    });
    this.eventsQueue.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([
      this.deliveries.close(),
      this.publisher.close(),
      closeBullClient(this.eventsQueue),
    ]);
  }
}
