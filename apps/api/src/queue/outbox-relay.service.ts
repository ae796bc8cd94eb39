import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EventPublisher } from '@app/events';
import { OutboxRelayLoop } from '@app/outbox';

/**
 * Relays lifecycle events from the outbox to the queue: right after each commit (kick) and every
 * second, so events written while Redis was down go out once it is back.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: OutboxRelayLoop;

  constructor(@InjectDataSource() dataSource: DataSource, publisher: EventPublisher) {
    this.loop = new OutboxRelayLoop(dataSource, publisher, new Logger(OutboxRelayService.name));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Never throws: a failed pass leaves the rows for the next one. */
  kick(): void {
    this.loop.kick();
  }

  get failedPasses(): number {
    return this.loop.failedPasses;
  }

  /**
   * Before, not at, application shutdown: Nest calls TypeORM's onApplicationShutdown (which closes
   * the DataSource under any query in flight) before this module's.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
