import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger as PinoLogger } from 'pino';
import { Batcher } from '@app/batching';
import { AppConfig } from '@app/config';
import { createLogger } from '@app/logging';
import { BLOCKED_PRIVATE_ADDRESS } from '@app/netguard';
import { closeBullClient, DeliveryJobName, QueueName } from '@app/queue';
import { consumerOptions } from '../bullmq-options';
import { OutboxRelay } from '../maintenance/outbox-relay';
import { DeliveryOutcome, WorkerMetrics } from '../metrics/worker-metrics';
import { buildDeliveryRequest } from './delivery-request';
import { AttemptRecord, ClaimedDelivery, DeliveryStore, RecordedAttempt } from './delivery.store';
import { EventBodies } from './event-bodies';
import { HttpSender, SendResult } from './http-sender';
import { nextRetryDelayMs } from './retry-policy';

type DeliveryJob = Job<{ deliveryId: string }, unknown, DeliveryJobName>;

function isSuccess(result: SendResult): boolean {
  return result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
}

/** Group commit of the hot path: claims and attempt records of concurrent jobs share statements. */
const BATCH = { maxSize: 100, maxDelayMs: 2, maxInFlight: 2 } as const;

/** Consumes the `deliveries` queue: one signed HTTP attempt per job run, recorded in PostgreSQL. */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly attemptLog: PinoLogger;
  private readonly worker: Worker<{ deliveryId: string }, unknown, DeliveryJobName>;
  private readonly sender: HttpSender;
  private readonly claimMs: number;
  private readonly claims: Batcher<string, ClaimedDelivery | undefined>;
  private readonly records: Batcher<AttemptRecord, RecordedAttempt>;

  constructor(
    private readonly config: AppConfig,
    private readonly store: DeliveryStore,
    private readonly events: EventBodies,
    private readonly outbox: OutboxRelay,
    private readonly metrics: WorkerMetrics,
  ) {
    this.attemptLog = createLogger(config.logLevel, 'event-api-worker');
    this.sender = new HttpSender({
      timeoutMs: config.delivery.timeoutMs,
      allowPrivateNetworks: config.delivery.allowPrivateNetworks,
      connectionsPerOrigin: config.delivery.concurrency,
      proxyUrl: config.delivery.proxyUrl,
    });
    this.claimMs = 2 * config.delivery.timeoutMs + 5_000;
    this.claims = new Batcher({
      ...BATCH,
      run: (ids) => store.claim(ids, this.claimMs),
      onBatch: (size) => metrics.batchSize.observe({ batch: 'claim' }, size),
    });
    this.records = new Batcher({
      ...BATCH,
      run: (records) => store.recordAttempts(records, config.webhookDisableAfterMs),
      onBatch: (size) => metrics.batchSize.observe({ batch: 'record' }, size),
    });
    this.worker = new Worker(
      QueueName.Deliveries,
      (job: DeliveryJob, token?: string) => this.process(job, token),
      consumerOptions(config, QueueName.Deliveries, config.delivery.concurrency),
    );
    this.worker.on('error', (error) => this.logger.warn(`deliveries consumer: ${error.message}`));
    // A failed job here is a bug or an outage, never a receiver's fault: the sweeper retries it.
    this.worker.on('failed', (job, error) =>
      this.logger.error(`delivery job ${job?.id ?? '?'} failed: ${error.message}`, error.stack),
    );
  }

  onApplicationBootstrap(): void {
    void this.worker.run();
  }

  /**
   * SIGTERM: stop taking jobs and let in-flight attempts finish (each is bounded by
   * DELIVERY_TIMEOUT); their batches are flushed before the connections close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await closeBullClient(this.worker);
    await Promise.all([this.claims.close(), this.records.close()]);
    await this.sender.close();
  }

  async process(job: DeliveryJob, token?: string): Promise<void> {
    // Its hash was deleted under it (keys lost in Redis): BullMQ hands over a job without name or
    // data. Completing it frees the id; the sweeper re-enqueues the delivery from PostgreSQL.
    if (typeof job.data?.deliveryId !== 'string') {
      this.logger.warn(`delivery job ${job.id ?? '?'} has lost its data in Redis; left to the sweeper`);
      return;
    }
    switch (job.name) {
      case DeliveryJobName.Deliver:
        return this.deliverScheduled(job, token);
      case DeliveryJobName.Redeliver:
        return this.redeliver(job);
      default: {
        const unknown: never = job.name;
        throw new UnrecoverableError(`unknown delivery job ${String(unknown)}`);
      }
    }
  }

  private async deliverScheduled(job: DeliveryJob, token?: string): Promise<void> {
    const claimed = await this.claims.add(job.data.deliveryId);
    if (!claimed) return this.notClaimed(job, token);
    // The claim dropped it: the webhook was switched off meanwhile.
    if (!claimed.active) {
      this.metrics.deliveries.inc({ outcome: 'dropped' });
      return;
    }

    const result = await this.attempt(claimed, false);
    if (result.retryAt) {
      // PostgreSQL already holds next_attempt_at; the delayed job is only the reminder.
      await this.delayUntil(job, token, result.retryAt);
    }
  }

  /** Nothing claimable: gone, finished, not yet due, or claimed by another worker. */
  private async notClaimed(job: DeliveryJob, token?: string): Promise<void> {
    const current = await this.store.find(job.data.deliveryId);
    if (!current || current.status !== 'pending') return;
    const claimedUntil = current.lockedUntil?.getTime() ?? 0;
    const dueAt = Math.max(current.nextAttemptAt.getTime(), claimedUntil);
    if (dueAt > Date.now()) await this.delayUntil(job, token, new Date(dueAt));
  }

  private async delayUntil(job: DeliveryJob, token: string | undefined, at: Date): Promise<void> {
    if (token === undefined) return;
    await job.moveToDelayed(at.getTime(), token);
    throw new DelayedError();
  }

  /** One extra attempt asked for by a user: no retries of its own, the schedule is left as it is. */
  private async redeliver(job: DeliveryJob): Promise<void> {
    const current = await this.store.find(job.data.deliveryId);
    if (!current || !current.active) return;
    await this.attempt(current, true);
  }

  private async attempt(delivery: ClaimedDelivery, manual: boolean): Promise<{ retryAt?: Date }> {
    const event = await this.events.get(delivery.eventId);
    // The event row goes only with its deliveries (retention): nothing left to send.
    if (!event) return {};
    const attemptId = randomUUID();
    const request = buildDeliveryRequest({
      url: delivery.url,
      eventId: delivery.eventId,
      eventName: event.name,
      eventBody: event.body,
      attemptId,
      secrets: delivery.secrets,
    });
    const result = await this.sender.send(delivery.url, request.body, request.headers);
    const success = isSuccess(result);
    const gone = result.statusCode === 410;
    // The schedule counts the scheduled attempts; this is the next one.
    const scheduled = delivery.attempts + 1;
    const delayMs =
      success || gone || manual
        ? null
        : nextRetryDelayMs(scheduled, this.config.delivery.retryScheduleMs, result);
    const nextAttemptAt = delayMs === null ? undefined : new Date(Date.now() + delayMs);
    const record: AttemptRecord = {
      attemptId,
      deliveryId: delivery.deliveryId,
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      eventName: event.name,
      success,
      statusCode: result.statusCode,
      response: result.response,
      error: result.error,
      durationMs: result.durationMs,
      status: success ? 'succeeded' : manual ? undefined : nextAttemptAt ? 'pending' : 'failed',
      nextAttemptAt,
      manual,
      gone,
    };
    const recorded = await this.record(record);
    const disabled =
      recorded.mayDisable && (await this.store.disableWebhook(record, this.config.webhookDisableAfterMs));
    this.count(record, disabled);
    this.attemptLog.info(
      {
        deliveryId: delivery.deliveryId,
        attemptId,
        eventId: delivery.eventId,
        webhookId: delivery.webhookId,
        attempt: recorded.attempt ?? undefined,
        success,
        statusCode: result.statusCode,
        error: result.error ?? undefined,
        durationMs: result.durationMs,
        nextAttemptAt: nextAttemptAt?.toISOString(),
        disabled: disabled || undefined,
      },
      'delivery attempt',
    );
    if (disabled) {
      this.outbox.kick();
      return {};
    }
    return { retryAt: recorded.attempt === null ? undefined : nextAttemptAt };
  }

  private count(record: AttemptRecord, disabled: boolean): void {
    const outcome: DeliveryOutcome = record.success
      ? 'success'
      : record.error === BLOCKED_PRIVATE_ADDRESS
        ? 'blocked'
        : record.nextAttemptAt && !disabled
          ? 'failed_will_retry'
          : 'failed_final';
    this.metrics.deliveries.inc({ outcome });
    this.metrics.attemptDuration.observe(record.durationMs / 1000);
    if (disabled) this.metrics.disabled.inc({ reason: record.gone ? 'gone' : 'failing' });
  }

  /**
   * Scheduled attempts go through the group commit. A manual one is recorded alone: two records of
   * one delivery in one statement would update its row once and share an attempt number.
   * If a record is refused, it is tried once more without the response body, so no response can
   * keep an attempt from being counted (and its delivery re-sent without end).
   */
  private async record(record: AttemptRecord): Promise<RecordedAttempt> {
    const save = (r: AttemptRecord) =>
      r.manual
        ? this.store.recordAttempts([r], this.config.webhookDisableAfterMs).then((rows) => rows[0])
        : this.records.add(r);
    try {
      return await save(record);
    } catch (error) {
      this.logger.warn(
        `attempt ${record.attemptId} recorded without its response: ${(error as Error).message}`,
      );
      return save({ ...record, response: '' });
    }
  }
}
