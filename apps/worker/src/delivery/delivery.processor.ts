import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { Batcher } from '@app/batching';
import { AppConfig } from '@app/config';
import { OutboxRelay } from '@app/outbox';
import { closeBullClient, DeliveryJobName, DeliveryToSend, QueueName } from '@app/queue';
import { consumerOptions } from '../bullmq-options';
import { CircuitService } from '../circuit/circuit.service';
import { FifoGate } from '../fifo/fifo-gate';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { QueueJob, TolerantWorker } from '../tolerant-worker';
import { WorkerQueues } from '../worker-queues';
import { AttemptMade, AttemptRunner } from './attempt-runner';
import { ClaimedDelivery, DeliveryStore, SetAside } from './delivery.store';
import { EndpointScheduler, Lease } from './endpoint-scheduler';
import { EventBodies } from './event-bodies';
import { beforeAttempt } from './lifecycle';
import { Throttle } from './throttle';

type DeliveryJob = QueueJob<typeof QueueName.Deliveries>;

/** Group commit of the hot path: claims and attempt records of concurrent jobs share statements. */
const BATCH = { maxSize: 100, maxDelayMs: 2, maxInFlight: 2 } as const;
/** An attempt in flight longer than this counts as slow (README → Fair delivery). */
const SLOW_AFTER_MS = 500;
/** Longest wait in memory for a slot before a delivery is deferred as a delayed job instead. */
const MAX_MEMORY_WAIT_MS = 1_000;

/**
 * Consumes the `deliveries` queue: one signed HTTP attempt per job run, recorded in PostgreSQL.
 * Each job first gets a lease from the fair scheduler; a job that cannot have one now goes back to
 * the queue as a delayed job, so waiting never holds a consumer (README → Fair delivery).
 */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly worker: TolerantWorker<typeof QueueName.Deliveries>;
  readonly scheduler: EndpointScheduler;
  private readonly runner: AttemptRunner;
  private readonly claimMs: number;
  private readonly claims: Batcher<string, ClaimedDelivery | undefined>;
  private readonly setAside: Batcher<SetAside, void>;
  /** First attempts made here for the fan-out, not as jobs: shutdown waits for them. */
  private readonly inProcess = new Set<Promise<void>>();
  /** Shutting down: the fan-out's deliveries go to the queue (another worker takes them). */
  private closing = false;

  constructor(
    config: AppConfig,
    private readonly store: DeliveryStore,
    events: EventBodies,
    outbox: OutboxRelay,
    private readonly circuit: CircuitService,
    private readonly throttle: Throttle,
    private readonly queues: WorkerQueues,
    private readonly metrics: WorkerMetrics,
    private readonly fifo: FifoGate,
  ) {
    const { delivery } = config;
    this.scheduler = new EndpointScheduler({
      concurrency: delivery.concurrency,
      endpointConcurrency: delivery.endpointConcurrency,
      slowAfterMs: Math.min(SLOW_AFTER_MS, delivery.timeoutMs / 2),
      timeoutMs: delivery.timeoutMs,
      maxMemoryWaitMs: MAX_MEMORY_WAIT_MS,
    });
    metrics.watchScheduler(this.scheduler);
    this.runner = new AttemptRunner({
      config,
      store,
      events,
      outbox,
      circuit,
      metrics,
      scheduler: this.scheduler,
      fifo,
      handOff: (due) => this.takeFirstAttempts(due),
      batch: BATCH,
    });
    this.claimMs = 2 * delivery.timeoutMs + 5_000;
    this.claims = new Batcher({
      ...BATCH,
      run: (ids) => store.claim(ids, this.claimMs),
      onBatch: (size) => metrics.batchSize.observe({ batch: 'claim' }, size),
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
    this.worker = new TolerantWorker(
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
    this.closing = true;
    // Requests waiting in memory for a slot go back to the queue as delayed jobs.
    this.scheduler.close();
    await closeBullClient(this.worker);
    await Promise.allSettled([...this.inProcess]);
    await Promise.all([this.claims.close(), this.setAside.close(), this.runner.close()]);
  }

  async process(job: DeliveryJob, token?: string): Promise<void> {
    // Its hash was deleted under it (keys lost in Redis): BullMQ hands over a job without name or
    // data; or its data is not JSON (null here). Completing it frees the id; the sweeper
    // re-enqueues the delivery from PostgreSQL.
    if (typeof job.data?.deliveryId !== 'string') {
      this.logger.warn(`delivery job ${job.id ?? '?'} has no readable data in Redis; left to the sweeper`);
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

  /**
   * Fewer hops (README → Performance): the fan-out hands its new deliveries here. Each one whose
   * webhook has a slot free right now is claimed and attempted in this process, with no delivery job
   * (its retries, if any, go through the queue); the others are returned, to be enqueued as jobs.
   * Nothing waits here: what cannot start now stays in the queue, so the fan-out holds no more in
   * memory than can be sent. Should this process die meanwhile, the rows are in PostgreSQL and the
   * sweeper enqueues them once their claim has expired.
   */
  takeFirstAttempts(deliveries: readonly DeliveryToSend[]): DeliveryToSend[] {
    if (this.closing) return [...deliveries];
    const toQueue: DeliveryToSend[] = [];
    for (const delivery of deliveries) {
      const lease = this.scheduler.tryAcquireNow(delivery.webhookId);
      if (!lease) {
        toQueue.push(delivery);
        continue;
      }
      const run: Promise<void> = this.firstAttempt(delivery, lease).finally(() => this.inProcess.delete(run));
      this.inProcess.add(run);
    }
    this.metrics.firstAttempts.inc({ path: 'in_process' }, deliveries.length - toQueue.length);
    this.metrics.firstAttempts.inc({ path: 'queued' }, toQueue.length);
    return toQueue;
  }

  private async firstAttempt(delivery: DeliveryToSend, lease: Lease): Promise<void> {
    let made: AttemptMade | undefined;
    try {
      const claimed = await this.claims.add(delivery.deliveryId);
      // Taken by a job meanwhile (the sweeper's), or already done: nothing for us to do.
      if (!claimed) return;
      this.scheduler.setPaused(claimed.webhookId, claimed.paused);
      const admission = beforeAttempt(claimed, delivery.deliveryId, false);
      if (admission === 'drop' || admission === 'park') return await this.dropOrPark(claimed, admission);
      if (admission === 'throttle') {
        // A throttled webhook's deliveries take their slots through the queue, as jobs.
        await this.setAside.add({ deliveryId: delivery.deliveryId, status: 'pending' });
        await this.queues.deliveries.enqueue([delivery]);
        return;
      }
      made = await this.attemptClaimed(claimed);
      if (made?.retryAt) {
        await this.queues.deliveries.enqueue([{ ...delivery, delayMs: made.retryAt.getTime() - Date.now() }]);
      }
    } catch (error) {
      this.logger.warn(
        `first attempt of delivery ${delivery.deliveryId} left to the sweeper: ${(error as Error).message}`,
      );
    } finally {
      this.release(lease, made);
    }
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
      await this.dropOrPark(claimed, admission);
      return {};
    }
    if (admission === 'throttle') {
      const slotAt = await this.throttleSlot(job, claimed, claimed.attempts);
      if (slotAt) {
        // Due at its slot: until then the sweeper need not look at it.
        await this.setAside.add({ deliveryId, status: 'pending', notBefore: slotAt });
        return { delayTo: slotAt };
      }
    }
    const made = await this.attemptClaimed(claimed);
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

  /**
   * The scheduled attempt of a claimed delivery. Its event without a body to send (erased since the
   * claim, README → API → Erasure; or gone): dropped, so that the sweeper does not queue it again
   * and again.
   */
  private async attemptClaimed(claimed: ClaimedDelivery): Promise<AttemptMade | undefined> {
    const made = await this.runner.attempt(claimed, false);
    if (!made) await this.dropOrPark(claimed, 'drop');
    return made;
  }

  /** The lifecycle's call for a delivery it will not attempt: dropped, or parked while paused. */
  private async dropOrPark(claimed: ClaimedDelivery, admission: 'drop' | 'park'): Promise<void> {
    const { deliveryId } = claimed;
    await this.setAside.add({ deliveryId, status: admission === 'drop' ? 'dropped' : 'paused' });
    if (admission === 'drop') this.metrics.deliveries.inc({ outcome: 'dropped' });
    else this.metrics.deferred.inc({ reason: 'paused' });
    // A dropped fifo head: its webhook is off, and so the rest of its line is dropped too.
    if (admission === 'drop' && claimed.ordering === 'fifo') await this.fifo.advance([claimed.webhookId]);
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
    return { made: await this.runner.attempt(current, true) };
  }
}
