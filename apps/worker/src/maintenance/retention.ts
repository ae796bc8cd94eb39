import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';

const RETENTION_INTERVAL_MS = 15 * 60_000;
const DELETE_BATCH = 5_000;

/** Deletes delivery records older than DELIVERY_LOG_RETENTION, in batches, off the hot path. */
@Injectable()
export class Retention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Retention.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.purge()
          .catch((error: Error) => this.logger.warn(`Retention failed: ${error.message}`))
          .finally(() => (this.running = undefined));
      }
    }, RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Attempts past retention, then finished deliveries and events nothing refers to any more. */
  async purge(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.deliveryLogRetentionMs);
    let deleted = 0;
    const statements = [
      `DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts WHERE created_at < $1 LIMIT ${DELETE_BATCH})`,
      `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> 'pending' AND updated_at < $1 LIMIT ${DELETE_BATCH})`,
      `DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT ${DELETE_BATCH})`,
    ];
    for (const statement of statements) {
      for (;;) {
        const [, count] = await this.dataSource.query<[unknown, number]>(statement, [cutoff]);
        deleted += count;
        if (count < DELETE_BATCH) break;
      }
    }
    return deleted;
  }
}
