import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, queueTarget } from '@app/config';
import { EventPublisher } from '@app/events';
import { DeliveryQueue } from '@app/queue';
import { OutboxRelay } from '@app/outbox';

/** The API's producers: it publishes (via the outbox) and enqueues pings/redeliveries; it never consumes. */
@Global()
@Module({
  providers: [
    {
      provide: EventPublisher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new EventPublisher(queueTarget(config)),
    },
    {
      provide: DeliveryQueue,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new DeliveryQueue(queueTarget(config)),
    },
    OutboxRelay,
  ],
  exports: [EventPublisher, DeliveryQueue, OutboxRelay],
})
export class QueueModule implements OnApplicationShutdown {
  constructor(
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(DeliveryQueue) private readonly deliveries: DeliveryQueue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.publisher.close(), this.deliveries.close()]);
  }
}
