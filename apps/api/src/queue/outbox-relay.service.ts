import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EventPublisher, relayOutbox } from '@app/events';

const RELAY_INTERVAL_MS = 1_000;

/**
 * Relays lifecycle events from the outbox to the queue: right after each commit (kick) and every
 * second, so events written while Redis was down go out once it is back.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelayService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private lastFailure = '';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), RELAY_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Starts a relay pass, or queues one more if a pass is running. Never throws. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.relay().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async relay(): Promise<void> {
    try {
      await relayOutbox(this.dataSource, this.publisher);
      this.lastFailure = '';
    } catch (error) {
      const message = (error as Error).message;
      // Once per distinct failure: a Redis outage must not flood the log every second.
      if (message !== this.lastFailure) this.logger.warn(`Outbox relay deferred: ${message}`);
      this.lastFailure = message;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
