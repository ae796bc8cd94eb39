import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PeriodicTask } from '@app/batching';
import { AppConfig } from '@app/config';
import { liftStatementTimeout } from '@app/database';
import { OutboxRelay } from '@app/outbox';
import { SecretBox } from '@app/signing';
import { whileHoldingLock } from '../maintenance/advisory-lock';
import { OperationalCharges } from '../operational/operational-charges';
import { recordWebhookChanges, rowsOf } from '../operational/operational-events';
import { WorkerQueues } from '../worker-queues';
import {
  CHOOSE_PROBE_SQL,
  CLOSE_CIRCUIT_SQL,
  COOLED_DOWN_SQL,
  DROP_PARKED_SQL,
  OPEN_CIRCUIT_SQL,
  RELEASE_PARKED_SQL,
  SET_SLOW_SQL,
  STRANDED_SQL,
} from './circuit.sql';

/** Parked deliveries released per statement when a circuit closes. */
const RELEASE_CHUNK = 1_000;
/**
 * Each further chunk of a released backlog goes on the queue this much later, so a large backlog
 * enters the shared queue at about a thousand a second instead of all before everyone else's jobs.
 */
const RELEASE_SPACING_MS = 1_000;
/** Cooled-down circuits looked at per pass. */
const KEEPER_BATCH = 100;
/** Any fixed number shared by all workers (not the sweeper's): one keeper pass at a time. */
const KEEPER_LOCK = 4_711_000_011;

/**
 * The endpoint circuit (README → Fair delivery): persists the lifecycle's open/close decisions,
 * releases a closed circuit's parked backlog, and every DELIVERY_SWEEP_INTERVAL sends one probe to
 * each endpoint whose cool-down has ended. One log line when an endpoint pauses or resumes, and
 * webhook.paused / webhook.resumed to its owner (README → Operational events).
 */
@Injectable()
export class CircuitService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Circuit');
  private readonly periodic: PeriodicTask;
  private readonly probeLeaseMs: number;
  /** Lock waits of the statements whose running time grows with a backlog. */
  private readonly lockTimeoutMs: number;

  constructor(
    config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: WorkerQueues,
    private readonly secretBox: SecretBox,
    private readonly outbox: OutboxRelay,
    private readonly charges: OperationalCharges,
  ) {
    // As long as a claim: a probe lost with its worker is replaced once its claim has expired.
    this.probeLeaseMs = 2 * config.delivery.timeoutMs + 5_000;
    this.lockTimeoutMs = config.databaseTimeouts.worker.statementMs;
    this.periodic = new PeriodicTask(
      'Circuit keeper',
      config.delivery.sweepIntervalMs,
      () => whileHoldingLock(dataSource, KEEPER_LOCK, undefined, () => this.probeCooledDown()),
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
   * Opens a closed circuit, or reopens it after `failedProbe` failed. True when this call did.
   * `ownerCaused`: the attempt that opened it was its owner's (webhook.paused is then charged to them).
   */
  async open(
    webhookId: string,
    change: { until: Date; pauseCount: number },
    failedProbe: string | null,
    ownerCaused = false,
  ): Promise<boolean> {
    // A circuit reopened after its probe failed is the same pause: webhook.paused is sent when it opens.
    const notify = failedProbe === null;
    const opened = await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<unknown[]>(OPEN_CIRCUIT_SQL, [
        webhookId,
        change.until,
        change.pauseCount,
        failedProbe,
      ]);
      if (rows.length === 0) return false;
      if (notify) await this.recordChange(manager, webhookId, 'webhook.paused', ownerCaused);
      return true;
    });
    if (!opened) return false;
    if (notify) this.outbox.kick();
    this.logger.log(
      `endpoint paused: webhook ${webhookId} until ${change.until.toISOString()} (pause ${change.pauseCount} in a row)`,
    );
    return true;
  }

  /** Closes the circuit and puts its parked deliveries back on the queue (`ownerCaused`: as for open). */
  async close(webhookId: string, ownerCaused = false): Promise<void> {
    const closed = await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<unknown[]>(CLOSE_CIRCUIT_SQL, [webhookId]);
      if (rows.length === 0) return false;
      await this.recordChange(manager, webhookId, 'webhook.resumed', ownerCaused);
      return true;
    });
    if (!closed) return;
    this.outbox.kick();
    const released = await this.releaseParked(webhookId);
    this.logger.log(`endpoint resumed: webhook ${webhookId}, ${released} parked deliveries released`);
  }

  /** webhook.paused / webhook.resumed, in the transaction that opens or closes the circuit. */
  private async recordChange(
    manager: EntityManager,
    webhookId: string,
    name: 'webhook.paused' | 'webhook.resumed',
    charged: boolean,
  ): Promise<void> {
    await recordWebhookChanges(
      rowsOf(manager),
      this.secretBox,
      [{ webhookId, name, charged }],
      this.charges.charge,
    );
  }

  /** Persists this worker's view of the endpoint's speed when it changes (the API shows it). */
  async markSlow(webhookId: string, slow: boolean): Promise<void> {
    await this.dataSource.query(SET_SLOW_SQL, [webhookId, slow ? new Date() : null]);
  }

  private async releaseParked(webhookId: string): Promise<number> {
    let released = 0;
    for (let chunk = 0; ; chunk += 1) {
      const rows = await this.dataSource.query<Array<{ id: string; nextAttemptAt: Date }>>(
        RELEASE_PARKED_SQL,
        [webhookId, RELEASE_CHUNK],
      );
      const now = Date.now();
      const spacing = chunk * RELEASE_SPACING_MS;
      // Should Redis fail here, the rows are pending and due: the sweeper enqueues them.
      await this.queues.deliveries.enqueue(
        rows.map((row) => ({
          deliveryId: row.id,
          webhookId,
          delayMs: Math.max(0, row.nextAttemptAt.getTime() - now) + spacing,
        })),
      );
      released += rows.length;
      if (rows.length < RELEASE_CHUNK) return released;
    }
  }

  /** A switched-off webhook's whole backlog at once: bounded in lock waits only, like its deletion. */
  private async dropParked(webhookId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await liftStatementTimeout(manager, this.lockTimeoutMs);
      await manager.query(DROP_PARKED_SQL, [webhookId]);
    });
  }

  /**
   * One pass of the keeper: probe, close, or (switched off meanwhile) drop what was parked; and
   * release what a race parked behind a circuit that had just closed.
   */
  async probeCooledDown(): Promise<void> {
    const stranded = await this.dataSource.query<Array<{ id: string; active: boolean }>>(STRANDED_SQL);
    for (const webhook of stranded) {
      if (webhook.active) await this.releaseParked(webhook.id);
      else await this.dropParked(webhook.id);
    }
    const due = await this.dataSource.query<Array<{ id: string; active: boolean }>>(COOLED_DOWN_SQL, [
      KEEPER_BATCH,
      this.probeLeaseMs,
    ]);
    for (const webhook of due) {
      if (!webhook.active) {
        await this.dropParked(webhook.id);
        continue;
      }
      const probe = await this.dataSource.transaction(async (manager) => {
        const rows = await manager.query<Array<{ probeDeliveryId: string | null }>>(CHOOSE_PROBE_SQL, [
          webhook.id,
          this.probeLeaseMs,
        ]);
        if (rows.length === 0) return undefined;
        // Nothing was parked: the circuit closed.
        if (rows[0].probeDeliveryId === null) {
          await this.recordChange(manager, webhook.id, 'webhook.resumed', false);
        }
        return rows[0].probeDeliveryId;
      });
      if (probe === undefined) continue;
      if (probe === null) {
        this.outbox.kick();
        this.logger.log(`endpoint resumed: webhook ${webhook.id}, nothing was waiting`);
        continue;
      }
      await this.queues.deliveries.enqueue([{ deliveryId: probe, webhookId: webhook.id }]);
    }
  }
}
