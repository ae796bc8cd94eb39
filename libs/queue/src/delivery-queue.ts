import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { bullConnection, releaseConnection } from './redis-options';
import { withQueueTimeout } from './queue-timeout';
import { DeliveryJobName, FINISHED_JOBS, JobPayloads, QueueName, redeliveryJobId } from './queues';

type DeliveryPayload = JobPayloads[typeof QueueName.Deliveries];

/** Job-state checks per sweep: each walks the queue's lists. */
const MAX_RECHECKS = 100;

export interface DeliveryQueueOptions {
  redisUrl: string;
  prefix: string;
  /** REDIS_URL is a node of a Redis Cluster. */
  cluster?: boolean;
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
      connection: bullConnection(
        options,
        this.failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : {},
      ),
      defaultJobOptions: FINISHED_JOBS[QueueName.Deliveries],
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
   * Splits `deliveryIds` into those with a live job (waiting, delayed, active) and those without,
   * in one pipelined round: a job hash without `finishedOn` looks live. A finished job still holding
   * the id would swallow a re-add, so those are removed here. A hash can also outlive its place in
   * the queue's lists (keys deleted one by one, not atomically): it looks live but no worker will
   * ever take it. So ids in `recheck` (seen looking live before) that still look live have their
   * list membership checked too (BullMQ's job state; O(list length), hence at most
   * `MAX_RECHECKS` per call), and orphans are removed and counted as lost.
   */
  async withoutLiveJob(
    deliveryIds: readonly string[],
    recheck: ReadonlySet<string> = new Set(),
  ): Promise<{ lost: string[]; live: string[] }> {
    if (deliveryIds.length === 0) return { lost: [], live: [] };
    const client = await this.queue.getBackend().client;
    const pipeline = client.pipeline();
    for (const id of deliveryIds) pipeline.hgetall(this.queue.toKey(id));
    const replies = (await this.bounded(pipeline.exec())) ?? [];
    const lost: string[] = [];
    const live: string[] = [];
    const finished: string[] = [];
    deliveryIds.forEach((id, index) => {
      const [error, job] = (replies[index] ?? [new Error('no reply from Redis'), null]) as [
        Error | null,
        Record<string, string | undefined> | null,
      ];
      if (error) throw error;
      const fields = job ?? {};
      const exists = fields.timestamp !== undefined;
      if (exists && fields.finishedOn === undefined) live.push(id);
      else lost.push(id);
      if (exists && fields.finishedOn !== undefined) finished.push(id);
    });
    const suspects = live.filter((id) => recheck.has(id)).slice(0, MAX_RECHECKS);
    const states = await Promise.all(suspects.map((id) => this.bounded(this.queue.getJobState(id))));
    const orphans = suspects.filter((_, index) => states[index] === 'unknown');
    await Promise.all([...finished, ...orphans].map((id) => this.queue.remove(id).catch(() => 0)));
    const orphaned = new Set(orphans);
    return { lost: [...lost, ...orphans], live: live.filter((id) => !orphaned.has(id)) };
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
    await releaseConnection(this.queue.opts.connection);
  }
}
