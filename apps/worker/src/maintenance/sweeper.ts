import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { WorkerQueues } from '../worker-queues';
import { PeriodicTask } from './periodic-task';

const SWEEP_BATCH = 1_000;

/** $1 batch size. The one statement IDX_deliveries_due is for (delivery-plans.e2e-spec.ts). */
export const DUE_DELIVERIES_SQL = `
  SELECT id, webhook_id AS "webhookId" FROM deliveries
   WHERE status = 'pending' AND next_attempt_at <= now()
     AND (locked_until IS NULL OR locked_until < now())
   ORDER BY next_attempt_at LIMIT $1`;
// Any fixed number shared by all workers: one sweep at a time across the fleet.
const SWEEP_LOCK = 4_711_000_010;

/**
 * Re-enqueues every delivery that is due in PostgreSQL but has no live job in Redis: a worker
 * killed twice on one job, Redis restarted or flushed, a crash between insert and enqueue.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Sweeper.name);
  private readonly periodic: PeriodicTask;
  /** Due deliveries whose job looked live at the last sweep: checked more closely at the next. */
  private seenLive: ReadonlySet<string> = new Set();

  constructor(
    config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: WorkerQueues,
    private readonly metrics: WorkerMetrics,
  ) {
    this.periodic = new PeriodicTask(
      'Sweep',
      config.delivery.sweepIntervalMs,
      () => this.report(),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  private async report(): Promise<void> {
    const restored = await this.sweep();
    if (restored > 0) this.logger.warn(`Sweeper re-enqueued ${restored} deliveries that had no live job`);
  }

  /** Returns how many deliveries were re-enqueued. */
  async sweep(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        SWEEP_LOCK,
      ])) as Array<{
        locked: boolean;
      }>;
      if (!locked) return 0;
      try {
        const due = (await runner.query(DUE_DELIVERIES_SQL, [SWEEP_BATCH])) as Array<{
          id: string;
          webhookId: string;
        }>;
        const webhookOf = new Map(due.map((row) => [row.id, row.webhookId]));
        const { lost, live } = await this.queues.deliveries.withoutLiveJob(
          due.map((row) => row.id),
          this.seenLive,
        );
        this.seenLive = new Set(live);
        await this.queues.deliveries.enqueue(
          lost.map((deliveryId) => ({ deliveryId, webhookId: webhookOf.get(deliveryId) as string })),
        );
        this.metrics.sweeperReenqueued.inc(lost.length);
        return lost.length;
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }
}
