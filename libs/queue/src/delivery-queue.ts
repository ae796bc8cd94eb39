import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { redisOptionsFromUrl } from './redis-options';
import { withQueueTimeout } from './queue-timeout';
import { DeliveryJobName, JobPayloads, QueueName, redeliveryJobId } from './queues';

type DeliveryPayload = JobPayloads[typeof QueueName.Deliveries];

export interface DeliveryQueueOptions {
  redisUrl: string;
  prefix: string;
  /** Producers that have a fallback (the sweeper) fail fast instead of queueing while Redis is down. */
  failFast?: boolean;
}

/** Typed producer for the deliveries queue (API: ping, redeliver; worker: fan-out, sweeper). */
export class DeliveryQueue {
  readonly queue: Queue<DeliveryPayload[DeliveryJobName], unknown, DeliveryJobName>;
  private readonly failFast: boolean;

  constructor(options: DeliveryQueueOptions) {
    this.failFast = options.failFast !== false;
    this.queue = new Queue(QueueName.Deliveries, {
      prefix: options.prefix,
      connection: {
        ...redisOptionsFromUrl(options.redisUrl),
        ...(this.failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : {}),
      },
      // PostgreSQL keeps the history; finished jobs only need to leave their ids free.
      defaultJobOptions: { removeOnComplete: true, removeOnFail: { age: 86_400 } },
    });
    this.queue.on('error', () => undefined);
  }

  /** The job id is the delivery id: adding a delivery whose job is still queued is a no-op. */
  async enqueue(deliveryIds: readonly string[], delayMs = 0): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.bounded(
      this.queue.addBulk(
        deliveryIds.map((deliveryId) => ({
          name: DeliveryJobName.Deliver,
          data: { deliveryId },
          opts: { jobId: deliveryId, ...(delayMs > 0 ? { delay: delayMs } : {}) },
        })),
      ),
    );
  }

  /**
   * The ids among `deliveryIds` that have no live job (waiting, delayed, active), in one pipelined
   * round: a job hash without `finishedOn` is live. A finished job still holding the id would
   * swallow a re-add, so those are removed here.
   */
  async withoutLiveJob(deliveryIds: readonly string[]): Promise<string[]> {
    if (deliveryIds.length === 0) return [];
    const client = await this.queue.getBackend().client;
    const pipeline = client.pipeline();
    for (const id of deliveryIds) pipeline.hgetall(this.queue.toKey(id));
    const replies = (await this.bounded(pipeline.exec())) ?? [];
    const lost: string[] = [];
    const finished: string[] = [];
    deliveryIds.forEach((id, index) => {
      const [error, job] = (replies[index] ?? [new Error('no reply from Redis'), null]) as [
        Error | null,
        Record<string, string | undefined> | null,
      ];
      if (error) throw error;
      const fields = job ?? {};
      const exists = fields.timestamp !== undefined;
      if (exists && fields.finishedOn === undefined) return;
      lost.push(id);
      if (exists) finished.push(id);
    });
    await Promise.all(finished.map((id) => this.queue.remove(id).catch(() => 0)));
    return lost;
  }

  /** One extra attempt now, beside any scheduled retry. */
  async enqueueRedelivery(deliveryId: string): Promise<void> {
    await this.bounded(
      this.queue.add(
        DeliveryJobName.Redeliver,
        { deliveryId },
        { jobId: redeliveryJobId(deliveryId, randomUUID()) },
      ),
    );
  }

  private bounded<T>(operation: Promise<T>): Promise<T> {
    return this.failFast ? withQueueTimeout(operation) : operation;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
