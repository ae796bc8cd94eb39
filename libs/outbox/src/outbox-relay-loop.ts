import { DataSource } from 'typeorm';
import type { EventPublisher } from '@app/events';
import { relayOutbox } from './outbox';

export interface RelayLogger {
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * Runs relayOutbox right after commits (kick) and on an interval, so events written while Redis
 * was down go out once it is back. One pass at a time; kicks during a pass schedule one more.
 */
export class OutboxRelayLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private lastFailure = '';
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly logger: RelayLogger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Starts a pass, or queues one more if a pass is running. Never throws. */
  kick(): void {
    // A commit during shutdown leaves its row to the next relay (another instance, or the next start).
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Passes that failed so far (Redis away): rows stay for the next pass. */
  get failedPasses(): number {
    return this.failures;
  }

  /** No pass starts after this; resolves once the pass in flight has ended. Call it before the DataSource closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.again = false;
    await this.running;
  }

  private async pass(): Promise<void> {
    try {
      await relayOutbox(this.dataSource, this.publisher);
      this.lastFailure = '';
    } catch (error) {
      const message = (error as Error).message;
      // A pass cut short by the process stopping is not a failure: its rows wait for the next relay.
      if (this.stopped) return this.logger.debug(`Outbox relay pass ended by shutdown: ${message}`);
      this.failures += 1;
      // Once per distinct failure: an outage must not flood the log every second.
      if (message !== this.lastFailure) this.logger.warn(`Outbox relay deferred: ${message}`);
      this.lastFailure = message;
    }
  }
}
