import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/batching';
import { AppConfig } from '@app/config';
import { liftStatementTimeout } from '@app/database';

const RETENTION_INTERVAL_MS = 15 * 60_000;
const DELETE_BATCH = 5_000;

/** Deletes delivery records older than DELIVERY_LOG_RETENTION, in batches, off the hot path. */
@Injectable()
export class Retention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly periodic: PeriodicTask;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.periodic = new PeriodicTask(
      'Retention',
      RETENTION_INTERVAL_MS,
      async () => void (await this.purge()),
      new Logger(Retention.name),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** Attempts past retention, then finished deliveries and events nothing refers to any more. */
  async purge(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.deliveryLogRetentionMs);
    let deleted = 0;
    // Webhooks whose whole log is about to go keep their last attempt as lastDelivery (the shape of lastDeliveryOf).
    await this.unbounded(
      `UPDATE webhooks w
          SET last_delivery = jsonb_build_object(
                'success', a.success, 'statusCode', a.status_code, 'response', COALESCE(a.error, a.response),
                'timestamp', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
         FROM (SELECT DISTINCT ON (webhook_id) * FROM delivery_attempts WHERE created_at < $1
                ORDER BY webhook_id, created_at DESC, id DESC) a
        WHERE w.id = a.webhook_id
          AND NOT EXISTS (SELECT 1 FROM delivery_attempts b WHERE b.webhook_id = a.webhook_id AND b.created_at >= $1)`,
      [cutoff],
    );
    const statements = [
      `DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts WHERE created_at < $1 LIMIT ${DELETE_BATCH})`,
      `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status NOT IN ('pending', 'queued') AND updated_at < $1 LIMIT ${DELETE_BATCH})`,
      `DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT ${DELETE_BATCH})`,
    ];
    for (const statement of statements) {
      for (;;) {
        const [, count] = await this.unbounded<[unknown, number]>(statement, [cutoff]);
        deleted += count;
        if (count < DELETE_BATCH) break;
      }
    }
    return deleted;
  }

  /**
   * A pass scans all that expired since the last one, which after a pause or a shortened
   * retention can be far more than usual: were its running time limited, it could fail every time
   * and never catch up. Its lock waits are limited, as WORKER_DB_STATEMENT_TIMEOUT says.
   */
  private unbounded<T>(statement: string, parameters: unknown[]): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await liftStatementTimeout(manager, this.config.databaseTimeouts.worker.statementMs);
      return manager.query<T>(statement, parameters);
    });
  }
}
