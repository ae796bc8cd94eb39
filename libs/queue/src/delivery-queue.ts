import { randomUUID } from 'node:crypto';
import { bullConnection, closeBullClient, FAIL_FAST } from './redis-options';
import { withQueueTimeout } from './queue-timeout';
import { DeliveryJobName, FINISHED_JOBS, QueueName, redeliveryJobId } from './queues';
import { openQueue, TypedQueue } from './typed-queue';

/** List-membership checks per sweep (each may walk a list). */
const MAX_RECHECKS = 100;

/**
 * KEYS: job hash, wait, paused, active, delayed, prioritized; ARGV: job id. 0: the hash is gone
 * (finished meanwhile: not an orphan), 1: the job is in a list, 2: orphan. Waiting jobs are pushed
 * at the head and taken from the tail, so a due job that has waited long is found from the tail.
 */
const JOB_PLACE_SCRIPT = `
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
  if redis.call('ZSCORE', KEYS[5], ARGV[1]) or redis.call('ZSCORE', KEYS[6], ARGV[1]) then return 1 end
  if redis.call('LPOS', KEYS[2], ARGV[1], 'RANK', -1) or redis.call('LPOS', KEYS[3], ARGV[1], 'RANK', -1)
     or redis.call('LPOS', KEYS[4], ARGV[1]) then return 1 end
  return 2`;
const ORPHAN = 2;

export interface DeliveryQueueOptions {
  redisUrl: string;
  prefix: string;
  /** REDIS_URL is a node of a Redis Cluster. */
  cluster?: boolean;
  /** Producers that have a fallback (the sweeper) fail fast instead of queueing while Redis is down. */
  failFast?: boolean;
}

export interface DeliveryToSend {
  deliveryId: string;
  webhookId: string;
  /** Not before this many milliseconds from now. */
  delayMs?: number;
}

/** Typed producer for the deliveries queue (API: ping, redeliver; worker: fan-out, sweeper). */
export class DeliveryQueue {
  readonly queue: TypedQueue<typeof QueueName.Deliveries>;
  private readonly failFast: boolean;

  constructor(options: DeliveryQueueOptions) {
    this.failFast = options.failFast !== false;
    this.queue = openQueue(QueueName.Deliveries, {
      prefix: options.prefix,
      connection: bullConnection(options, this.failFast ? FAIL_FAST : {}),
      defaultJobOptions: FINISHED_JOBS[QueueName.Deliveries],
    });
    this.queue.on('error', () => undefined);
  }

  /** The job id is the delivery id: adding a delivery whose job is still queued is a no-op. */
  async enqueue(deliveries: readonly DeliveryToSend[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.bounded(
      this.queue.addBulk(
        deliveries.map(({ deliveryId, webhookId, delayMs = 0 }) => ({
          name: DeliveryJobName.Deliver,
          data: { deliveryId, webhookId },
          opts: { jobId: deliveryId, ...(delayMs > 0 ? { delay: Math.ceil(delayMs) } : {}) },
        })),
      ),
    );
  }

  /**
   * Splits `deliveryIds` into those with a live job (waiting, delayed, active) and those without,
   * in one pipelined round: a job hash with its `timestamp` and without `finishedOn` looks live. Any
   * other hash still holding the id would swallow a re-add, so it is removed here: a finished job,
   * or a fragment BullMQ's scripts leave when they touch an id whose hash was deleted (moving it to
   * active or counting a stall writes a few fields into a new hash, with no data and no name). A hash
   * can also outlive its place in the queue's lists (keys deleted one by one, not atomically): it
   * looks live but no worker will ever take it. So ids in `recheck` (seen looking live before) that
   * still look live have their list membership checked too (one script per id, searching waiting
   * jobs from the tail where old ones are; at most `MAX_RECHECKS` per call), and orphans are removed.
   * `lost` holds the ids that are free to be re-added; an id whose hash could not be removed (locked
   * by a worker right now) is reported `live`, to be looked at again at the next call.
   */
  async withoutLiveJob(
    deliveryIds: readonly string[],
    recheck: ReadonlySet<string> = new Set(),
  ): Promise<{ lost: string[]; live: string[] }> {
    if (deliveryIds.length === 0) return { lost: [], live: [] };
    const client = await this.bounded(this.queue.getBackend().client);
    const pipeline = client.pipeline();
    for (const id of deliveryIds) pipeline.hgetall(this.queue.toKey(id));
    const replies = (await this.bounded(pipeline.exec())) ?? [];
    const gone: string[] = [];
    const live: string[] = [];
    const leftovers: string[] = [];
    deliveryIds.forEach((id, index) => {
      const [error, job] = (replies[index] ?? [new Error('no reply from Redis'), null]) as [
        Error | null,
        Record<string, string | undefined> | null,
      ];
      if (error) throw error;
      const fields = job ?? {};
      if (fields.timestamp !== undefined && fields.finishedOn === undefined) live.push(id);
      else if (Object.keys(fields).length > 0) leftovers.push(id);
      else gone.push(id);
    });
    const suspects = live.filter((id) => recheck.has(id)).slice(0, MAX_RECHECKS);
    const places = await Promise.all(suspects.map((id) => this.bounded(this.placeOf(client, id))));
    const orphans = suspects.filter((_, index) => places[index] === ORPHAN);
    const toRemove = [...leftovers, ...orphans];
    const removed = await Promise.all(
      toRemove.map((id) => this.bounded(this.queue.remove(id)).catch(() => 0)),
    );
    const freed = toRemove.filter((_, index) => removed[index] === 1);
    const freedSet = new Set(freed);
    return {
      lost: [...gone, ...freed],
      live: [...live, ...leftovers].filter((id) => !freedSet.has(id)),
    };
  }

  private async placeOf(client: unknown, id: string): Promise<number> {
    const keys = ['', 'wait', 'paused', 'active', 'delayed', 'prioritized'].map((suffix) =>
      suffix ? this.queue.toKey(suffix) : this.queue.toKey(id),
    );
    const redis = client as { eval(script: string, count: number, ...args: string[]): Promise<number> };
    return redis.eval(JOB_PLACE_SCRIPT, keys.length, ...keys, id);
  }

  /** One extra attempt now, beside any scheduled retry. */
  async enqueueRedelivery(deliveryId: string, webhookId: string): Promise<void> {
    await this.bounded(
      this.queue.add(
        DeliveryJobName.Redeliver,
        { deliveryId, webhookId },
        { jobId: redeliveryJobId(deliveryId, randomUUID()) },
      ),
    );
  }

  private bounded<T>(operation: Promise<T>): Promise<T> {
    return this.failFast ? withQueueTimeout(operation) : operation;
  }

  async close(): Promise<void> {
    await closeBullClient(this.queue);
  }
}
