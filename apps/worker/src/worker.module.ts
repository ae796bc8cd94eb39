import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { EventPublisher } from '@app/events';
import { OutboxRelay } from '@app/outbox';
import { CircuitService } from './circuit/circuit.service';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { DeliveryStore } from './delivery/delivery.store';
import { OperationalCharges } from './operational/operational-charges';
import { EventBodies } from './delivery/event-bodies';
import { Throttle } from './delivery/throttle';
import { FanOutProcessor } from './fan-out/fan-out.processor';
import { FanOutStore } from './fan-out/fan-out.store';
import { FifoGate } from './fifo/fifo-gate';
import { HealthServer } from './health-server';
import { WorkerMetrics } from './metrics/worker-metrics';
import { Retention } from './maintenance/retention';
import { Sweeper } from './maintenance/sweeper';
import { RedisConnection } from './redis-connection';
import { WorkerQueues } from './worker-queues';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [AppConfigModule.forRoot(config), DatabaseModule.forRoot('worker')],
      providers: [
        RedisConnection,
        WorkerQueues,
        WorkerMetrics,
        FanOutStore,
        FanOutProcessor,
        OperationalCharges,
        DeliveryStore,
        EventBodies,
        CircuitService,
        Throttle,
        FifoGate,
        DeliveryProcessor,
        // The outbox relay publishes with the worker's own producer.
        {
          provide: EventPublisher,
          inject: [WorkerQueues],
          useFactory: (queues: WorkerQueues) => queues.publisher,
        },
        OutboxRelay,
        Sweeper,
        Retention,
        HealthServer,
      ],
    };
  }
}
