import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/batching';
import { AppConfig } from '@app/config';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { WorkerQueues } from '../worker-queues';
import { whileHoldingLock } from './advisory-lock';

const SWEEP_BATCH = 1_000;

/**
 * $1 batch size, $2/$3 where the previous sweep stopped (next_attempt_at, id; nulls: from the start).
 * Each sweep takes up where the last one stopped, so due deliveries that are merely waiting for
 * their turn (a backlog, deliveries the fair scheduler set aside as delayed jobs) cannot hide lost
 * ones behind them: every due row is looked at within a few sweeps. A delivery created in the last
 * 2 s is left alone: the fan-out that wrote it is handing it to its first attempt or enqueueing it
 * right now, and a second job for it could claim its first retry early. The one statement
 * IDX_deliveries_due is for (delivery-plans.e2e-spec.ts).
 */
export const DUE_DELIVERIES_SQL = `
  SELECT id, webhook_id AS "webhookId", next_attempt_at AS "nextAttemptAt",
         created_at > now() - interval '2 seconds' AS fresh
    FROM deliveries
   WHERE status = 'pending' AND next_attempt_at <= now()
     AND (locked_until IS NULL OR locked_until < now())
     AND ($2::timestamptz IS NULL OR (next_attempt_at, id) > ($2::timestamptz, $3::uuid))
   ORDER BY next_attempt_at, id LIMIT $1`;
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
  /** Where the last sweep stopped, when it found a full batch. */
  private cursor: { nextAttemptAt: Date; id: string } | null = null;

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
    return whileHoldingLock(this.dataSource, SWEEP_LOCK, 0, async (runner) => {
      const due = (await runner.query(DUE_DELIVERIES_SQL, [
        SWEEP_BATCH,
        this.cursor?.nextAttemptAt ?? null,
        this.cursor?.id ?? null,
      ])) as Array<{ id: string; webhookId: string; nextAttemptAt: Date; fresh: boolean }>;
      const last = due[due.length - 1];
      this.cursor = due.length === SWEEP_BATCH ? { nextAttemptAt: last.nextAttemptAt, id: last.id } : null;
      // A delivery created in the last 2 s is being handed over by its fan-out right now.
      const candidates = due.filter((row) => !row.fresh);
      const webhookOf = new Map(candidates.map((row) => [row.id, row.webhookId]));
      const { lost, live } = await this.queues.deliveries.withoutLiveJob(
        candidates.map((row) => row.id),
        this.seenLive,
      );
      this.seenLive = new Set(live);
      await this.queues.deliveries.enqueue(
        lost.map((deliveryId) => ({ deliveryId, webhookId: webhookOf.get(deliveryId) as string })),
      );
      this.metrics.sweeperReenqueued.inc(lost.length);
      return lost.length;
    });
  }
}
