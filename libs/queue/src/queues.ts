/**
 * Queue and job names: the one definition shared by producers and consumers.
 * Renaming any of them strands the jobs already in Redis under the old name: add, never rename.
 */
export const QueueName = {
  /** The public contract (SPEC §7): job name = event name, data = the envelope. */
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
 * Payload types keyed by queue and job name, so a wrong pairing fails at compile time. (The `events`
 * queue's payload is the EventEnvelope of libs/events, which publishes it.)
 */
export interface JobPayloads {
  [QueueName.Deliveries]: {
    [DeliveryJobName.Deliver]: { deliveryId: string };
    [DeliveryJobName.Redeliver]: { deliveryId: string };
  };
}

/** BullMQ refuses custom job ids containing ':'; ours are UUIDs or this separator. */
const JOB_ID_SEPARATOR = '.';

export function redeliveryJobId(deliveryId: string, requestId: string): string {
  return `${deliveryId}${JOB_ID_SEPARATOR}redeliver${JOB_ID_SEPARATOR}${requestId}`;
}
