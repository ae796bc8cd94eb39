import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger as PinoLogger } from 'pino';
import { Batcher } from '@app/batching';
import { AppConfig } from '@app/config';
import { createLogger } from '@app/logging';
import { closeBullClient, DeliveryJobData, DeliveryJobName, QueueName } from '@app/queue';
import { consumerOptions } from '../bullmq-options';
import { CircuitService } from '../circuit/circuit.service';
import { OutboxRelay } from '../maintenance/outbox-relay';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { buildDeliveryRequest } from './delivery-request';
import { AttemptRecord, ClaimedDelivery, DeliveryStore, RecordedAttempt, SetAside } from './delivery.store';
import { AttemptResult, EndpointScheduler, Lease } from './endpoint-scheduler';
import { EventBodies } from './event-bodies';
import { HttpSender } from './http-sender';
import { afterAttempt, AttemptDecision, beforeAttempt, LifecycleRules } from './lifecycle';
import { Throttle } from './throttle';

type DeliveryJob = Job<DeliveryJobData, unknown, DeliveryJobName>;

/** Group commit of the hot path: claims and attempt records of concurrent jobs share statements. */
const BATCH = { maxSize: 100, maxDelayMs: 2, maxInFlight: 2 } as const;
/** An attempt in flight longer than this counts as slow (README → Fair delivery). */
const SLOW_AFTER_MS = 500;
/** Longest wait in memory for a slot before a delivery is deferred as a delayed job instead. */
const MAX_MEMORY_WAIT_MS = 1_000;

interface AttemptMade extends AttemptResult {
  /** When the next scheduled attempt is due, if there is one to remind the queue of. */
  retryAt?: Date;
}

/**
 * Consumes the `deliveries` queue: one signed HTTP attempt per job run, recorded in PostgreSQL.
 * Each job first gets a lease from the fair scheduler; a job that cannot have one now goes back to
 * the queue as a delayed job, so waiting never holds a consumer (README → Fair delivery).
 */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly attemptLog: PinoLogger;
  private readonly worker: Worker<DeliveryJobData, unknown, DeliveryJobName>;
  private readonly sender: HttpSender;
  readonly scheduler: EndpointScheduler;
  private readonly rules: LifecycleRules;
  private readonly claimMs: number;
  private readonly claims: Batcher<string, ClaimedDelivery | undefined>;
  private readonly records: Batcher<AttemptRecord, RecordedAttempt>;
  private readonly setAside: Batcher<SetAside, void>;

  constructor(
    private readonly config: AppConfig,
    private readonly store: DeliveryStore,
    private readonly events: EventBodies,
    private readonly outbox: OutboxRelay,
    private readonly circuit: CircuitService,
    private readonly throttle: Throttle,
    private readonly metrics: WorkerMetrics,
  ) {
    const { delivery } = config;
    this.attemptLog = createLogger(config.logLevel, 'event-api-worker');
    this.sender = new HttpSender({
      timeoutMs: delivery.timeoutMs,
      allowPrivateNetworks: delivery.allowPrivateNetworks,
      connectionsPerOrigin: delivery.concurrency,
      proxyUrl: delivery.proxyUrl,
    });
    this.scheduler = new EndpointScheduler({
      concurrency: delivery.concurrency,
      endpointConcurrency: delivery.endpointConcurrency,
      slowAfterMs: Math.min(SLOW_AFTER_MS, delivery.timeoutMs / 2),
      timeoutMs: delivery.timeoutMs,
      maxMemoryWaitMs: MAX_MEMORY_WAIT_MS,
    });
    metrics.watchScheduler(this.scheduler);
    this.rules = {
      retryScheduleMs: delivery.retryScheduleMs,
      disableAfterMs: config.webhookDisableAfterMs,
      circuitThreshold: delivery.circuitThreshold,
      circuitCooldownMs: delivery.circuitCooldownMs,
    };
    this.claimMs = 2 * delivery.timeoutMs + 5_000;
    this.claims = new Batcher({
      ...BATCH,
      run: (ids) => store.claim(ids, this.claimMs),
      onBatch: (size) => metrics.batchSize.observe({ batch: 'claim' }, size),
    });
    this.records = new Batcher({
      ...BATCH,
      run: (records) => store.recordAttempts(records),
      onBatch: (size) => metrics.batchSize.observe({ batch: 'record' }, size),
    });
    this.setAside = new Batcher({
      ...BATCH,
      run: async (entries) => {
        await store.setAside(entries);
        return entries.map(() => undefined);
      },
    });
    // Consumers for the leases in flight (up to 1.5 × concurrency: the fast lane and the slow
    // share), and half the concurrency again for jobs waiting in memory for a slot; when all are
    // busy nothing more is taken from the queue, which is where a backlog waits best.
    this.worker = new Worker(
      QueueName.Deliveries,
      (job: DeliveryJob, token?: string) => this.process(job, token),
      consumerOptions(config, QueueName.Deliveries, 2 * delivery.concurrency + 1),
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
    // Requests waiting in memory for a slot go back to the queue as delayed jobs.
    this.scheduler.close();
    await closeBullClient(this.worker);
    await Promise.all([this.claims.close(), this.records.close(), this.setAside.close()]);
    await this.sender.close();
  }

  async process(job: DeliveryJob, token?: string): Promise<void> {
    // Its hash was deleted under it (keys lost in Redis): BullMQ hands over a job without name or
    // data. Completing it frees the id; the sweeper re-enqueues the delivery from PostgreSQL.
    if (typeof job.data?.deliveryId !== 'string') {
      this.logger.warn(`delivery job ${job.id ?? '?'} has lost its data in Redis; left to the sweeper`);
      return;
    }
    const { deliveryId } = job.data;
    const webhookId =
      typeof job.data.webhookId === 'string'
        ? job.data.webhookId
        : (await this.store.find(deliveryId))?.webhookId;
    if (webhookId === undefined) return;

    const lease = await this.scheduler.acquire(webhookId);
    if (!('startedAt' in lease)) {
      this.metrics.deferred.inc({ reason: lease.reason });
      return this.delayUntil(job, token, new Date(Date.now() + lease.waitMs));
    }
    let made: AttemptMade | undefined;
    let delayTo: Date | undefined;
    try {
      switch (job.name) {
        case DeliveryJobName.Deliver:
          ({ made, delayTo } = await this.deliverScheduled(job));
          break;
        case DeliveryJobName.Redeliver:
          ({ made, delayTo } = await this.redeliver(job));
          break;
        default: {
          const unknown: never = job.name;
          throw new UnrecoverableError(`unknown delivery job ${String(unknown)}`);
        }
      }
    } finally {
      this.release(lease, made);
    }
    if (delayTo) await this.delayUntil(job, token, delayTo);
  }

  private release(lease: Lease, made: AttemptMade | undefined): void {
    const change = this.scheduler.release(lease, made);
    if (change === undefined) return;
    this.circuit
      .markSlow(lease.webhookId, change === 'slow')
      .catch((error: Error) => this.logger.warn(`endpoint speed not recorded: ${error.message}`));
  }

  private async deliverScheduled(job: DeliveryJob): Promise<{ made?: AttemptMade; delayTo?: Date }> {
    const { deliveryId } = job.data;
    const claimed = await this.claims.add(deliveryId);
    if (!claimed) return { delayTo: await this.dueLater(deliveryId) };
    this.scheduler.setPaused(claimed.webhookId, claimed.paused);
    const holdsSlot = job.data.throttleSlotFor === claimed.attempts;
    const admission = beforeAttempt(claimed, deliveryId, false, holdsSlot);
    if (admission === 'drop' || admission === 'park') {
      await this.setAside.add({ deliveryId, status: admission === 'drop' ? 'dropped' : 'paused' });
      if (admission === 'drop') this.metrics.deliveries.inc({ outcome: 'dropped' });
      else this.metrics.deferred.inc({ reason: 'paused' });
      return {};
    }
    if (admission === 'throttle') {
      const slotAt = await this.throttleSlot(job, claimed, claimed.attempts);
      if (slotAt) {
        await this.setAside.add({ deliveryId, status: 'pending' });
        return { delayTo: slotAt };
      }
    }
    const made = await this.attempt(claimed, false);
    // PostgreSQL already holds next_attempt_at; the delayed job is only the reminder.
    return { made, delayTo: made?.retryAt };
  }

  /**
   * Takes the webhook's next throttle slot for the attempt after `attemptsBefore` (-1: a
   * redelivery). Returns when it is, if not now; the job then remembers that it holds it. Should
   * Redis not answer, the attempt goes ahead (the queue itself needs Redis to go on anyway).
   */
  private async throttleSlot(
    job: DeliveryJob,
    endpoint: ClaimedDelivery,
    attemptsBefore: number,
  ): Promise<Date | undefined> {
    let waitMs: number;
    try {
      waitMs = await this.throttle.reserve(endpoint.webhookId, endpoint.rateLimit as number);
    } catch (error) {
      this.logger.warn(`rateLimit of webhook ${endpoint.webhookId} not checked: ${(error as Error).message}`);
      return undefined;
    }
    if (waitMs <= 0) return undefined;
    this.metrics.deferred.inc({ reason: 'throttled' });
    await job.updateData({ ...job.data, throttleSlotFor: attemptsBefore });
    return new Date(Date.now() + waitMs);
  }

  /** Nothing claimable: gone, finished, not yet due, or claimed by another worker. */
  private async dueLater(deliveryId: string): Promise<Date | undefined> {
    const current = await this.store.find(deliveryId);
    if (!current || current.status !== 'pending') return undefined;
    const claimedUntil = current.lockedUntil?.getTime() ?? 0;
    const dueAt = Math.max(current.nextAttemptAt.getTime(), claimedUntil);
    return dueAt > Date.now() ? new Date(dueAt) : undefined;
  }

  private async delayUntil(job: DeliveryJob, token: string | undefined, at: Date): Promise<void> {
    if (token === undefined) return;
    await job.moveToDelayed(at.getTime(), token);
    throw new DelayedError();
  }

  /** One extra attempt asked for by a user: no retries of its own, the schedule is left as it is. */
  private async redeliver(job: DeliveryJob): Promise<{ made?: AttemptMade; delayTo?: Date }> {
    const { deliveryId } = job.data;
    const current = await this.store.find(deliveryId);
    if (!current) return {};
    const admission = beforeAttempt(current, deliveryId, true, job.data.throttleSlotFor === -1);
    if (admission === 'drop' || admission === 'park') return {};
    if (admission === 'throttle') {
      const slotAt = await this.throttleSlot(job, current, -1);
      if (slotAt) return { delayTo: slotAt };
    }
    return { made: await this.attempt(current, true) };
  }

  private async attempt(delivery: ClaimedDelivery, manual: boolean): Promise<AttemptMade | undefined> {
    const event = await this.events.get(delivery.eventId);
    // The event row goes only with its deliveries (retention): nothing left to send.
    if (!event) return undefined;
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
    const decision = afterAttempt(
      result,
      {
        attemptsBefore: delivery.attempts,
        manual,
        probe: !manual && delivery.probeDeliveryId === delivery.deliveryId,
        endpoint: delivery,
        unreachableStreak: this.scheduler.unreachableStreak(delivery.webhookId),
        now: new Date(),
      },
      this.rules,
    );
    const record: AttemptRecord = {
      attemptId,
      deliveryId: delivery.deliveryId,
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      eventName: event.name,
      success: decision.success,
      statusCode: result.statusCode,
      response: result.response,
      error: result.error,
      durationMs: result.durationMs,
      status: decision.status,
      nextAttemptAt: decision.nextAttemptAt,
      manual,
    };
    const recorded = await this.record(record);
    // The delivery is gone (its webhook was deleted meanwhile): nothing else to decide on.
    const exists = recorded.attempt !== null;
    const disabled =
      exists &&
      decision.disable !== null &&
      (await this.store.disableWebhook(record, decision.disable, delivery.failingSince));
    if (exists && decision.circuit) await this.applyCircuit(delivery, decision);
    this.count(decision, result.durationMs, disabled);
    this.attemptLog.info(
      {
        deliveryId: delivery.deliveryId,
        attemptId,
        eventId: delivery.eventId,
        webhookId: delivery.webhookId,
        attempt: recorded.attempt ?? undefined,
        success: decision.success,
        statusCode: result.statusCode,
        error: result.error ?? undefined,
        durationMs: result.durationMs,
        nextAttemptAt: decision.nextAttemptAt?.toISOString(),
        disabled: disabled || undefined,
      },
      'delivery attempt',
    );
    if (disabled) this.outbox.kick();
    return {
      durationMs: result.durationMs,
      kind: decision.kind,
      unreachableStreak: decision.unreachableStreak,
      retryAt: disabled || !exists ? undefined : decision.nextAttemptAt,
    };
  }

  /** Circuit changes are persisted best-effort: the next attempt's decision repeats a lost one. */
  private async applyCircuit(delivery: ClaimedDelivery, decision: AttemptDecision): Promise<void> {
    const change = decision.circuit;
    try {
      if (change?.action === 'open') {
        const failedProbe = delivery.paused ? delivery.deliveryId : null;
        this.scheduler.setPaused(delivery.webhookId, true);
        await this.circuit.open(delivery.webhookId, change, failedProbe);
      } else if (change?.action === 'close') {
        this.scheduler.setPaused(delivery.webhookId, false);
        await this.circuit.close(delivery.webhookId);
      }
    } catch (error) {
      this.logger.warn(`circuit of webhook ${delivery.webhookId} not updated: ${(error as Error).message}`);
    }
  }

  private count(decision: AttemptDecision, durationMs: number, disabled: boolean): void {
    this.metrics.deliveries.inc({ outcome: decision.outcome });
    this.metrics.attemptDuration.observe(durationMs / 1000);
    if (disabled && decision.disable) this.metrics.disabled.inc({ reason: decision.disable });
  }

  /**
   * Scheduled attempts go through the group commit. A manual one is recorded alone: two records of
   * one delivery in one statement would update its row once and share an attempt number.
   * If a record is refused, it is tried once more without the response body, so no response can
   * keep an attempt from being counted (and its delivery re-sent without end).
   */
  private async record(record: AttemptRecord): Promise<RecordedAttempt> {
    const save = (r: AttemptRecord) =>
      r.manual ? this.store.recordAttempts([r]).then((rows) => rows[0]) : this.records.add(r);
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
