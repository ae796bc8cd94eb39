import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboxRelayLoop } from '@app/outbox';
import { WorkerQueues } from '../worker-queues';

/** Relays the worker's own outbox events (webhook.disabled) to the queue. */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: OutboxRelayLoop;

  constructor(@InjectDataSource() dataSource: DataSource, queues: WorkerQueues) {
    this.loop = new OutboxRelayLoop(dataSource, queues.publisher, new Logger(OutboxRelay.name));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  kick(): void {
    this.loop.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
