import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { Batcher } from '@app/batching';
import { AppConfig } from '@app/config';
import { EnvelopeCheck, EventEnvelope, toPlatformEvent, validateEnvelope } from '@app/events';
import { closeBullClient, QueueName } from '@app/queue';
import { consumerOptions } from '../bullmq-options';
import { DeliveryProcessor } from '../delivery/delivery.processor';
import { EventBodies } from '../delivery/event-bodies';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { hasJsonData, QueueJob, TolerantWorker } from '../tolerant-worker';
import { WorkerQueues } from '../worker-queues';
import { FifoGate } from '../fifo/fifo-gate';
import { EventToFanOut, FanOutResult, FanOutStore } from './fan-out.store';
import { ResourceCheck } from './resource-check';

/** Events taken at once; their fan-outs share one statement and one addBulk per batch. */
const FAN_OUT_CONCURRENCY = 64;
const TRANSIENT_RETRY_MS = 5_000;
const MAX_TRANSIENT_RETRIES = 100;

type EventJob = QueueJob<typeof QueueName.Events>;
/** A publisher's JSON encoder wrote NaN or Infinity (Python's json.dumps does unless allow_nan=False). */
const NOT_JSON: EnvelopeCheck = { ok: false, reason: 'data is not JSON' };

/**
 * Consumes the `events` queue (README → Publishing events, README → Fan-out): validate, record the
 * deliveries, enqueue them.
 */
@Injectable()
export class FanOutProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FanOutProcessor.name);
  private readonly worker: TolerantWorker<typeof QueueName.Events>;
  private readonly batcher: Batcher<EventToFanOut, FanOutResult>;
  private readonly resourceCheck = new ResourceCheck();

  constructor(
    config: AppConfig,
    store: FanOutStore,
    queues: WorkerQueues,
    events: EventBodies,
    deliveries: DeliveryProcessor,
    private readonly metrics: WorkerMetrics,
    fifo: FifoGate,
  ) {
    // A job completes only once its deliveries are committed and either enqueued or being attempted
    // here (first attempts with a slot free go straight to the delivery processor: no job, no hop).
    this.batcher = new Batcher({
      maxSize: FAN_OUT_CONCURRENCY,
      maxDelayMs: 2,
      maxInFlight: 2,
      onBatch: (size) => metrics.batchSize.observe({ batch: 'fan_out' }, size),
      run: async (batch) => {
        const results = await store.recordDeliveries(batch);
        batch.forEach((event, index) => {
          if (results[index].kind === 'recorded') {
            events.remember(event.eventId, { name: event.envelope.name, body: event.body });
          }
        });
        const pending = results.flatMap((result) => (result.kind === 'recorded' ? result.pending : []));
        await queues.deliveries.enqueue(deliveries.takeFirstAttempts(pending));
        await fifo.advance(
          results.flatMap((result) => (result.kind === 'recorded' ? result.queuedWebhooks : [])),
        );
        return results;
      },
    });
    this.worker = new TolerantWorker(
      QueueName.Events,
      (job: EventJob, token?: string) => this.process(job, token),
      consumerOptions(config, QueueName.Events, FAN_OUT_CONCURRENCY),
    );
    this.worker.on('error', (error) => this.logger.warn(`events consumer: ${error.message}`));
    this.worker.on('failed', (job, error) =>
      this.logger.warn(`event job ${job?.id ?? '?'} failed: ${error.message}`),
    );
  }

  onApplicationBootstrap(): void {
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await closeBullClient(this.worker);
    await this.batcher.close();
  }

  /** Warn-only (README → Event schemas): counted, logged at most once a minute per path, never refused. */
  private warnOnSchemaMismatch(envelope: EventEnvelope): void {
    const mismatch = this.resourceCheck.check(envelope);
    if (!mismatch) return;
    this.metrics.schemaMismatches.inc({ event: mismatch.event });
    if (this.resourceCheck.shouldWarn(mismatch)) {
      this.logger.warn(
        `event ${mismatch.event} does not match its schema at ${mismatch.path}: ${mismatch.message} (delivered anyway; see GET /events/${mismatch.event})`,
      );
    }
  }

  async process(job: EventJob, token?: string): Promise<{ deliveries: number }> {
    const check = hasJsonData(job) ? validateEnvelope(job.data, job.name) : NOT_JSON;
    // Invalid envelopes fail at once, without retries; BullMQ keeps them with the reason.
    if (!check.ok) throw new UnrecoverableError(`invalid envelope: ${check.reason}`);
    const envelope = check.envelope;
    this.warnOnSchemaMismatch(envelope);
    let eventId = envelope.id;
    if (!eventId) {
      // Persist the id we pick, so a re-run of this job fans out under the same id.
      eventId = randomUUID();
      await job.updateData({ ...job.data, id: eventId });
    }
    const timestamp = envelope.timestamp ?? new Date(job.timestamp).toISOString();
    const body = JSON.stringify(toPlatformEvent(envelope, eventId, timestamp));
    let result: FanOutResult;
    try {
      result = await this.batcher.add({ eventId, envelope, body, timestamp });
    } catch (error) {
      // Database or Redis trouble is transient: try again later rather than lose the event.
      const retries = (job.data.fanOutRetries ?? 0) + 1;
      if (retries > MAX_TRANSIENT_RETRIES || token === undefined) throw error;
      this.logger.warn(`fan-out of ${eventId} deferred: ${(error as Error).message}`);
      await job.updateData({ ...job.data, id: eventId, fanOutRetries: retries });
      await job.moveToDelayed(Date.now() + TRANSIENT_RETRY_MS, token);
      throw new DelayedError();
    }
    // A re-used id with other content: never another event's body to anyone.
    if (result.kind === 'duplicate') throw new UnrecoverableError('duplicate event id');
    // Published again after an erasure removed it: delivered once already, never again.
    if (result.kind === 'erased') return { deliveries: 0 };
    return { deliveries: result.pending.length };
  }
}
