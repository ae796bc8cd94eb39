import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger as PinoLogger } from 'pino';
import { AppConfig } from '@app/config';
import { createLogger } from '@app/logging';
import { DeliveryJobName, QueueName } from '@app/queue';
import { consumerOptions } from '../bullmq-options';
import { OutboxRelay } from '../maintenance/outbox-relay';
import { buildDeliveryRequest } from './delivery-request';
import { AttemptOutcome, DeliveryContext, DeliveryStore } from './delivery.store';
import { HttpSender, SendResult } from './http-sender';
import { nextRetryDelayMs } from './retry-policy';

type DeliveryJob = Job<{ deliveryId: string }, unknown, DeliveryJobName>;

function isSuccess(result: SendResult): boolean {
  return result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
}

/** Consumes the `deliveries` queue: one signed HTTP attempt per job run, recorded in PostgreSQL. */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly attemptLog: PinoLogger;
  private readonly worker: Worker<{ deliveryId: string }, unknown, DeliveryJobName>;
  private readonly sender: HttpSender;
  private readonly claimMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly store: DeliveryStore,
    private readonly outbox: OutboxRelay,
  ) {
    this.attemptLog = createLogger(config.logLevel, 'event-api-worker');
    this.sender = new HttpSender({
      timeoutMs: config.delivery.timeoutMs,
      allowPrivateNetworks: config.delivery.allowPrivateNetworks,
      connectionsPerOrigin: config.delivery.concurrency,
    });
    this.claimMs = 2 * config.delivery.timeoutMs + 5_000;
    this.worker = new Worker(
      QueueName.Deliveries,
      (job: DeliveryJob, token?: string) => this.process(job, token),
      {
        ...consumerOptions(config, config.delivery.concurrency),
      },
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

  /** SIGTERM: stop taking jobs and let in-flight attempts finish (each is bounded by DELIVERY_TIMEOUT). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
    await this.sender.close();
  }

  async process(job: DeliveryJob, token?: string): Promise<void> {
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
    const { deliveryId } = job.data;
    const context = await this.store.claim(deliveryId, this.claimMs);
    if (!context) return this.notClaimed(job, token);
    if (!context.active) return this.store.drop(deliveryId);

    const result = await this.attempt(context, context.attempts + 1);
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
    const context = await this.store.find(job.data.deliveryId);
    if (!context || !context.active) return;
    await this.attempt(context, context.attempts + 1, true);
  }

  private async attempt(
    context: DeliveryContext,
    attempt: number,
    manual = false,
  ): Promise<{ retryAt?: Date }> {
    const attemptId = randomUUID();
    const request = buildDeliveryRequest({
      url: context.url,
      eventId: context.eventId,
      eventName: context.eventName,
      eventBody: context.body,
      attemptId,
      secrets: context.secrets,
    });
    const result = await this.sender.send(context.url, request.body, request.headers);
    const success = isSuccess(result);
    const gone = result.statusCode === 410;
    const delayMs =
      success || gone ? null : nextRetryDelayMs(attempt, this.config.delivery.retryScheduleMs, result);
    const outcome: AttemptOutcome = manual
      ? { status: success ? 'succeeded' : undefined, gone }
      : {
          status: success ? 'succeeded' : delayMs === null ? 'failed' : 'pending',
          nextAttemptAt: delayMs === null ? undefined : new Date(Date.now() + delayMs),
          gone,
        };
    const disabled = await this.store.recordAttempt(
      context,
      { attemptId, attempt, success, ...result },
      outcome,
      this.config.webhookDisableAfterMs,
    );
    this.attemptLog.info(
      {
        deliveryId: context.deliveryId,
        attemptId,
        eventId: context.eventId,
        webhookId: context.webhookId,
        attempt,
        success,
        statusCode: result.statusCode,
        error: result.error ?? undefined,
        durationMs: result.durationMs,
        nextAttemptAt: outcome.nextAttemptAt?.toISOString(),
        disabled: disabled || undefined,
      },
      'delivery attempt',
    );
    if (disabled) {
      this.outbox.kick();
      return {};
    }
    return { retryAt: manual ? undefined : outcome.nextAttemptAt };
  }
}
