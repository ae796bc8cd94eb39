/**
 * Queue and job names: the one definition shared by producers and consumers.
 * Renaming any of them strands the jobs already in Redis under the old name: add, never rename.
 */
export const QueueName = {
  /** The public contract (README → Publishing events): job name = event name, data = the envelope. */
  Events: 'events',
  /** One job per delivery row; PostgreSQL holds the state, the job is only transport. */
  Deliveries: 'deliveries',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const DeliveryJobName = {
  /** The scheduled attempts of a delivery (first, then retries). */
  Deliver: 'deliver',
  /** One extra attempt asked for by POST …/redeliver. */
  Redeliver: 'redeliver',
} as const;
export type DeliveryJobName = (typeof DeliveryJobName)[keyof typeof DeliveryJobName];

/**
 * A delivery job names its webhook so the worker's fair scheduler can place it before touching
 * PostgreSQL; jobs enqueued before webhookId existed lack it (the worker then looks it up).
 */
export interface DeliveryJobData {
  deliveryId: string;
  webhookId?: string;
  /**
   * The job holds a throttle slot (the webhook's rateLimit) for the attempt that follows this many
   * attempts of the delivery; -1 for a redelivery. Set when the job was delayed to wait for it.
   */
  throttleSlotFor?: number;
}

/**
 * An `events` job as the worker takes it: the envelope its publisher wrote (EventPublisher, or one
 * in another language: libs/events validates it before anything is done with it), plus the
 * worker's own count of transient fan-out retries.
 */
export interface EventJobData {
  readonly [field: string]: unknown;
  fanOutRetries?: number;
}

/**
 * Every queue's jobs: data types keyed by queue and job name, so a wrong pairing fails at compile
 * time. Producers (openQueue) and the worker's consumers (TolerantWorker) take their types from here.
 */
export interface JobPayloads {
  /** Job name = event name (README → Publishing events); a name outside the catalog fails validation. */
  [QueueName.Events]: Record<string, EventJobData>;
  [QueueName.Deliveries]: {
    [DeliveryJobName.Deliver]: DeliveryJobData;
    [DeliveryJobName.Redeliver]: DeliveryJobData;
  };
}

/** The job names of queue `Q`. */
export type JobNameOf<Q extends QueueName> = Extract<keyof JobPayloads[Q], string>;
/** The data of any job of queue `Q`. */
export type JobDataOf<Q extends QueueName> = JobPayloads[Q][JobNameOf<Q>];

/**
 * How long finished jobs stay in Redis, per queue: set as the producers' default job options and as
 * the consumers' fallback, which BullMQ applies to jobs whose producer set nothing (a publisher in
 * another language): without it their finished jobs would pile up in Redis forever.
 * PostgreSQL keeps the history either way. Finished events are kept an hour (at most 10,000), so
 * BullMQ's own job-id check also holds for a re-publish within that time; failed ones a week, with
 * their reason, for operators. Delivery jobs only need to leave their ids free.
 */
export const FINISHED_JOBS = {
  [QueueName.Events]: {
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 86_400 },
  },
  [QueueName.Deliveries]: {
    // count 0: removed on completion (BullMQ's `true`, in the form consumers accept too).
    removeOnComplete: { count: 0 },
    removeOnFail: { age: 86_400 },
  },
} as const;

/** BullMQ refuses custom job ids containing ':'; ours are UUIDs or this separator. */
const JOB_ID_SEPARATOR = '.';

export function redeliveryJobId(deliveryId: string, requestId: string): string {
  return `${deliveryId}${JOB_ID_SEPARATOR}redeliver${JOB_ID_SEPARATOR}${requestId}`;
}
