import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/batching';
import { EventPublisher } from '@app/events';
import { relayOutbox } from './outbox';

const RELAY_INTERVAL_MS = 1_000;

/**
 * Relays lifecycle events from the outbox to the queue, in the API and in the worker: right after
 * each commit (kick) and every second, so events written while Redis was down go out once it is
 * back. One pass at a time; a failed pass leaves the rows for the next one.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(@InjectDataSource() dataSource: DataSource, publisher: EventPublisher) {
    this.task = new PeriodicTask(
      'Outbox relay',
      RELAY_INTERVAL_MS,
      () => relayOutbox(dataSource, publisher),
      new Logger(OutboxRelay.name),
      { eager: true, failures: 'deferred' },
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  /** Never throws. */
  kick(): void {
    this.task.kick();
  }

  /** Passes that failed so far (Redis away). */
  get failedPasses(): number {
    return this.task.failedPasses;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }
}
