import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { Batcher } from '@app/batching';
import { AppConfig } from '@app/config';
import { OutboxRelay } from '@app/outbox';
import { createLogger } from '@app/logging';
import { CircuitService } from '../circuit/circuit.service';
import { FifoGate, HandOff } from '../fifo/fifo-gate';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { buildDeliveryRequest } from './delivery-request';
import { AttemptRecord, ClaimedDelivery, DeliveryStore, RecordedAttempt } from './delivery.store';
import { AttemptResult, EndpointScheduler } from './endpoint-scheduler';
import { EventBodies } from './event-bodies';
import { HttpSender } from './http-sender';
import { recordedRequest } from './recorded-request';
import { afterAttempt, AttemptDecision, causedByOwner, LifecycleRules, outcomeKind } from './lifecycle';

export interface AttemptMade extends AttemptResult {
  /** When the next scheduled attempt is due, if there is one to remind the queue of. */
  retryAt?: Date;
}

export interface AttemptDependencies {
  config: AppConfig;
  store: DeliveryStore;
  events: EventBodies;
  outbox: OutboxRelay;
  circuit: CircuitService;
  metrics: WorkerMetrics;
  scheduler: EndpointScheduler;
  fifo: FifoGate;
  /** The next head of a fifo line, due now, is attempted in this process when it has a slot. */
  handOff: HandOff;
  /** Group commit of the records of concurrent attempts. */
  batch: { maxSize: number; maxDelayMs: number; maxInFlight: number };
}

/**
 * Makes attempts, for the delivery consumer and for the first attempts it takes from the fan-out:
 * sends, asks the lifecycle what follows, records, and carries out the decision (disable, circuit).
 * Owned by the DeliveryProcessor, which closes it after its last attempt.
 */
export class AttemptRunner {
  private readonly logger = new Logger('DeliveryProcessor');
  private readonly attemptLog: PinoLogger;
  private readonly sender: HttpSender;
  private readonly rules: LifecycleRules;
  private readonly records: Batcher<AttemptRecord, RecordedAttempt>;
  private readonly store: DeliveryStore;
  private readonly events: EventBodies;
  private readonly outbox: OutboxRelay;
  private readonly circuit: CircuitService;
  private readonly metrics: WorkerMetrics;
  private readonly scheduler: EndpointScheduler;
  private readonly fifo: FifoGate;
  private readonly handOff: HandOff;

  constructor({
    config,
    store,
    events,
    outbox,
    circuit,
    metrics,
    scheduler,
    fifo,
    handOff,
    batch,
  }: AttemptDependencies) {
    this.fifo = fifo;
    this.handOff = handOff;
    this.store = store;
    this.events = events;
    this.outbox = outbox;
    this.circuit = circuit;
    this.metrics = metrics;
    this.scheduler = scheduler;
    const { delivery } = config;
    this.attemptLog = createLogger(config.logLevel, 'event-api-worker');
    this.sender = new HttpSender({
      timeoutMs: delivery.timeoutMs,
      allowPrivateNetworks: delivery.allowPrivateNetworks,
      requireHttps: delivery.requireHttps,
      connectionsPerOrigin: delivery.concurrency,
      proxyUrl: delivery.proxyUrl,
    });
    this.rules = {
      retryScheduleMs: delivery.retryScheduleMs,
      unprovenRetryWindowMs: delivery.unprovenRetryWindowMs,
      disableAfterMs: config.webhookDisableAfterMs,
      circuitThreshold: delivery.circuitThreshold,
      circuitCooldownMs: delivery.circuitCooldownMs,
    };
    this.records = new Batcher({
      ...batch,
      run: (records) => store.recordAttempts(records),
      onBatch: (size) => metrics.batchSize.observe({ batch: 'record' }, size),
    });
  }

  /** After the last attempt: its record flushed, then the connections closed. */
  async close(): Promise<void> {
    await this.records.close();
    await this.sender.close();
  }

  /**
   * One signed attempt of a claimed delivery (or a manual one), decided by the lifecycle and
   * recorded; the circuit and disabling are applied. Undefined, and nothing sent, when the event has
   * no body to send: gone (retention) or erased (README → API → Erasure); the caller drops a claimed
   * delivery then.
   */
  async attempt(delivery: ClaimedDelivery, manual: boolean): Promise<AttemptMade | undefined> {
    const event = await this.events.get(delivery.eventId);
    if (!event) return undefined;
    const attemptId = randomUUID();
    const request = buildDeliveryRequest({
      url: delivery.url,
      eventId: delivery.eventId,
      eventName: event.name,
      eventBody: event.body,
      attemptId,
      secrets: delivery.secrets,
      headers: delivery.headers,
    });
    const result = await this.sender.send(delivery.url, request.body, request.headers);
    const decision = afterAttempt(
      result,
      {
        attemptsBefore: delivery.attempts,
        manual,
        probe: !manual && delivery.probeDeliveryId === delivery.deliveryId,
        endpoint: delivery,
        unreachableStreak: this.scheduler.countUnreachable(
          delivery.webhookId,
          outcomeKind(result) === 'unreachable',
        ),
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
      url: delivery.url,
      request: recordedRequest(delivery.url, request, delivery.headers, event.body),
      ownerCaused: causedByOwner({ eventName: event.name, manual, recovered: delivery.recovered }),
    };
    const recorded = await this.record(record);
    // The delivery is gone (its webhook was deleted meanwhile): nothing else to decide on.
    const exists = recorded.attempt !== null;
    // Dropped while the attempt was under way (an erasure, or its webhook disabled): it stays dropped,
    // and nothing reminds the queue of a retry.
    const dropped = recorded.deliveryStatus === 'dropped';
    const disabled =
      exists &&
      decision.disable !== null &&
      (await this.store.disableWebhook(record, decision.disable, delivery.failingSince));
    if (exists && decision.circuit) await this.applyCircuit(delivery, decision, record.ownerCaused);
    // A fifo delivery that succeeded, failed for good or was dropped lets the next one in its line go.
    if (
      exists &&
      delivery.ordering === 'fifo' &&
      (dropped || decision.status === 'succeeded' || decision.status === 'failed')
    ) {
      await this.fifo.advance([delivery.webhookId], this.handOff);
    }
    this.count(decision, result.durationMs, disabled);
    this.attemptLog.info(
      {
        deliveryId: delivery.deliveryId,
        attemptId,
        eventId: delivery.eventId,
        webhookId: delivery.webhookId,
        // The logger masks its credential parts (README → Security → Credential URLs).
        url: delivery.url,
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
    if (disabled || recorded.operational) this.outbox.kick();
    return {
      durationMs: result.durationMs,
      kind: decision.kind,
      retryAt: disabled || !exists || dropped ? undefined : decision.nextAttemptAt,
    };
  }

  /** Circuit changes are persisted best-effort: the next attempt's decision repeats a lost one. */
  private async applyCircuit(
    delivery: ClaimedDelivery,
    decision: AttemptDecision,
    ownerCaused: boolean,
  ): Promise<void> {
    const change = decision.circuit;
    try {
      if (change?.action === 'open') {
        const failedProbe = delivery.paused ? delivery.deliveryId : null;
        this.scheduler.setPaused(delivery.webhookId, true);
        await this.circuit.open(delivery.webhookId, change, failedProbe, ownerCaused);
      } else if (change?.action === 'close') {
        this.scheduler.setPaused(delivery.webhookId, false);
        await this.circuit.close(delivery.webhookId, ownerCaused);
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
