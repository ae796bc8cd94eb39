import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PeriodicTask } from '@app/batching';
import { AppConfig } from '@app/config';
import { liftStatementTimeout, lockLine, wakeNext, WokenDelivery } from '@app/database';
import { DeliveryToSend } from '@app/queue';
import { whileHoldingLock } from '../maintenance/advisory-lock';
import { WorkerQueues } from '../worker-queues';
import { DROP_LINE_SQL, RELEASE_LINE_SQL, STALLED_LINES_SQL } from './fifo.sql';
/** Stalled lines looked at per keeper pass. */
const KEEPER_BATCH = 100;
/** Any fixed number shared by all workers (not the sweeper's or the circuit keeper's). */
const KEEPER_LOCK = 4_711_000_012;

/** Takes the woken deliveries it will attempt at once; returns the others, to be enqueued. */
export type HandOff = (due: DeliveryToSend[]) => DeliveryToSend[];

/**
 * The gate of ordered delivery (README → Ordered delivery), in PostgreSQL so it holds across all
 * workers: a fifo webhook's deliveries are recorded `queued`, and one at a time becomes the head
 * (`pending`, or `paused` while the circuit is open) that the normal delivery path attempts, retries
 * and ends. `advance` is called whenever a line may move: after a fan-out queued deliveries, and when
 * a head ended (succeeded, failed for good, dropped); a keeper pass repeats it for lines nobody woke
 * (a worker killed in between, `ordering` changed to `none`, the webhook switched off).
 */
@Injectable()
export class FifoGate implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('FifoGate');
  private readonly periodic: PeriodicTask;
  /** Lock waits of the statements whose running time grows with a line's length. */
  private readonly lockTimeoutMs: number;

  constructor(
    config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: WorkerQueues,
  ) {
    this.lockTimeoutMs = config.databaseTimeouts.worker.statementMs;
    this.periodic = new PeriodicTask(
      'Fifo keeper',
      config.delivery.sweepIntervalMs,
      () => whileHoldingLock(dataSource, KEEPER_LOCK, undefined, () => this.wakeStalled()),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /**
   * Moves each webhook's line if it can move, one webhook at a time (each holds its row's lock only
   * for its own statements). Best-effort for the caller: what fails here the keeper does later.
   */
  async advance(webhookIds: Iterable<string>, handOff?: HandOff): Promise<void> {
    for (const webhookId of new Set(webhookIds)) {
      try {
        await this.advanceOne(webhookId, handOff);
      } catch (error) {
        this.logger.warn(`line of webhook ${webhookId} left to the keeper: ${(error as Error).message}`);
      }
    }
  }

  private async advanceOne(webhookId: string, handOff: HandOff = (due) => due): Promise<void> {
    const woken = await this.dataSource.transaction(async (manager) => {
      const webhook = await lockLine(manager, webhookId);
      if (!webhook) return [];
      if (!webhook.active) {
        await this.lifted(manager, DROP_LINE_SQL, [webhookId]);
        return [];
      }
      if (webhook.ordering !== 'fifo') {
        return this.lifted<WokenDelivery[]>(manager, RELEASE_LINE_SQL, [webhookId, webhook.paused]);
      }
      return wakeNext(manager, webhookId, webhook.paused);
    });
    const now = Date.now();
    const toSend = woken
      .filter((row) => row.status === 'pending')
      .map((row): DeliveryToSend => ({
        deliveryId: row.id,
        webhookId,
        delayMs: Math.max(0, row.nextAttemptAt.getTime() - now),
      }));
    // Due now: the caller may attempt them itself (no job hop); the rest, and what it declines, are
    // enqueued. Should Redis fail here, the rows are pending: the sweeper enqueues them once due.
    const declined = handOff(toSend.filter((delivery) => delivery.delayMs === 0));
    await this.queues.deliveries.enqueue([
      ...declined,
      ...toSend.filter((delivery) => delivery.delayMs !== 0),
    ]);
  }

  /** A whole line at once: bounded in lock waits only, like dropping a switched-off webhook's backlog. */
  private async lifted<T>(manager: EntityManager, sql: string, parameters: unknown[]): Promise<T> {
    await liftStatementTimeout(manager, this.lockTimeoutMs);
    return manager.query<T>(sql, parameters);
  }

  /** One keeper pass: lines that wait with nobody to wake them. */
  async wakeStalled(): Promise<void> {
    const stalled = await this.dataSource.query<Array<{ id: string }>>(STALLED_LINES_SQL, [KEEPER_BATCH]);
    await this.advance(stalled.map((row) => row.id));
  }
}
