import { randomUUID } from 'node:crypto';
import {
  bullConnection,
  closeBullClient,
  EventJobData,
  FAIL_FAST,
  FINISHED_JOBS,
  openQueue,
  QueueName,
  TypedQueue,
  withQueueTimeout,
} from '@app/queue';
import { EventEnvelope, PlatformEvent, validateEnvelope } from './envelope';

export interface EventPublisherOptions {
  /** redis:// URL; default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** BullMQ key prefix; default `bull` (BullMQ's own). */
  prefix?: string;
  /** `redisUrl` is a node of a Redis Cluster (the prefix then needs a hash tag, `{event-api}`). */
  cluster?: boolean;
  /**
   * Fail fast instead of waiting for Redis to come back (default true): callers with a fallback,
   * like the outbox relay, want the error now.
   */
  failFast?: boolean;
}

export class InvalidEnvelopeError extends Error {}

/** How far ahead of the clock distinct timestamps may run during a burst. */
const MAX_TIMESTAMP_LEAD_MS = 1_000;

/**
 * Publishes platform events to the `events` queue (README → Publishing events). Usable from any Node service,
 * no Nest needed:
 *
 *   const publisher = new EventPublisher({ redisUrl: process.env.REDIS_URL });
 *   await publisher.publish({ name: 'api.created', user: { id: '10123' }, resourceType: 'Api', resource, apiId });
 *   await publisher.close();
 */
export class EventPublisher {
  private readonly queue: TypedQueue<typeof QueueName.Events>;
  private readonly failFast: boolean;
  /** The last default timestamp given, in ms (README → Ordered delivery). */
  private lastTimestampMs = 0;

  constructor(options: EventPublisherOptions = {}) {
    this.failFast = options.failFast !== false;
    this.queue = openQueue(QueueName.Events, {
      prefix: options.prefix ?? 'bull',
      connection: bullConnection(
        { redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379', cluster: options.cluster },
        this.failFast ? FAIL_FAST : {},
      ),
      defaultJobOptions: FINISHED_JOBS[QueueName.Events],
    });
    // Connection errors surface through publish(); an unhandled 'error' event would crash the host.
    this.queue.on('error', () => undefined);
  }

  /** Validates and enqueues; returns the event id (the envelope's, or a new UUID). */
  async publish(envelope: EventEnvelope): Promise<string> {
    const [id] = await this.publishBulk([envelope]);
    return id;
  }

  /** Validates every envelope first (one bad one publishes none), then enqueues all in one round. */
  async publishBulk(envelopes: readonly EventEnvelope[]): Promise<string[]> {
    const jobs = envelopes.map((envelope) => {
      const check = validateEnvelope(envelope);
      if (!check.ok) throw new InvalidEnvelopeError(check.reason);
      const id = check.envelope.id ?? randomUUID();
      const data: PlatformEvent & EventJobData = {
        ...check.envelope,
        id,
        timestamp: check.envelope.timestamp ?? this.nextTimestamp(),
      };
      return { name: data.name, data, opts: { jobId: id } };
    });
    if (jobs.length === 0) return [];
    const added = this.queue.addBulk(jobs);
    await (this.failFast ? withQueueTimeout(added) : added);
    return jobs.map((job) => job.data.id);
  }

  /**
   * Now, but later than the previous event this publisher stamped: events published in the same
   * millisecond get distinct timestamps 1 ms apart, so a fifo webhook receives them in the order they
   * were published (README → Ordered delivery). Never more than a second ahead of the clock.
   */
  private nextTimestamp(): string {
    const now = Date.now();
    const next = this.lastTimestampMs + 1;
    this.lastTimestampMs = next > now && next - now < MAX_TIMESTAMP_LEAD_MS ? next : now;
    return new Date(this.lastTimestampMs).toISOString();
  }

  async close(): Promise<void> {
    await closeBullClient(this.queue);
  }
}
