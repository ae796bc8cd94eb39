/**
 * The bench's yardsticks, measured in the bench process against the same receiver: the raw HTTP
 * ceiling, the bare BullMQ consumer (`referencePerSec`), and the same consumer behind
 * an event stage (`chainReferencePerSec`): the least any event-then-delivery pipeline does per
 * delivery at 1 → 1 (an event job, then one delivery job), with no database at all.
 */
import { Job, Queue, Worker } from 'bullmq';
import { Pool } from 'undici';
import { Batcher } from '@app/batching';
import { redisOptionsFromUrl } from '@app/queue';

async function post(pool: Pool, path: string, body: string): Promise<void> {
  const response = await pool.request({
    path,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  await response.body.dump();
}

/** Raw ceiling: one process, keep-alive, same concurrency, no queue, no database. */
export async function measureCeiling(url: string, total: number, concurrency: number): Promise<number> {
  const pool = new Pool(url, { connections: concurrency });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await post(pool, '/ceiling', '{"bench":true}');
      }
    }),
  );
  const perSec = total / ((performance.now() - started) / 1000);
  await pool.close();
  return perSec;
}

async function preload(queue: Queue, total: number): Promise<void> {
  for (let offset = 0; offset < total; offset += 500) {
    await queue.addBulk(
      Array.from({ length: Math.min(500, total - offset) }, (_, i) => ({
        name: 'post',
        data: { n: offset + i },
        opts: { jobId: `ref-${offset + i}`, removeOnComplete: true },
      })),
    );
  }
}

/** Runs consumers until `total` jobs of the last stage completed; deliveries per second. */
async function consume(total: number, start: (onDelivered: () => void) => Worker[]): Promise<number> {
  let done = 0;
  let workers: Worker[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    workers = start(() => {
      done += 1;
      if (done === total) resolve();
    });
  });
  const perSec = total / ((performance.now() - started) / 1000);
  await Promise.all(workers.map((worker) => worker.close()));
  return perSec;
}

interface ReferenceRun {
  url: string;
  redisUrl: string;
  prefix: string;
  total: number;
  concurrency: number;
}

function consumerOf(
  name: string,
  run: ReferenceRun,
  concurrency: number,
  processor: (job: Job) => Promise<void>,
): Worker {
  const connection = { ...redisOptionsFromUrl(run.redisUrl), maxRetriesPerRequest: null };
  return new Worker(name, processor, { prefix: run.prefix, connection, concurrency });
}

/** A bare BullMQ consumer with the same HTTP client and no database (README → Performance). */
export async function measureReference(run: ReferenceRun): Promise<number> {
  const queue = new Queue('reference', { prefix: run.prefix, connection: redisOptionsFromUrl(run.redisUrl) });
  await preload(queue, run.total);
  const pool = new Pool(run.url, { connections: run.concurrency });
  const perSec = await consume(run.total, (delivered) => {
    const worker = consumerOf('reference', run, run.concurrency, (job) =>
      post(pool, '/reference', JSON.stringify(job.data)),
    );
    worker.on('completed', delivered);
    return [worker];
  });
  await Promise.all([pool.close(), queue.obliterate({ force: true }).then(() => queue.close())]);
  return perSec;
}

/**
 * The reference behind an event stage, as the worker is built: 64 event consumers whose delivery
 * jobs are added together (one `addBulk` per batch, like the fan-out), then the bare consumer.
 */
export async function measureChainReference(run: ReferenceRun): Promise<number> {
  const connection = redisOptionsFromUrl(run.redisUrl);
  const events = new Queue('chain-events', { prefix: run.prefix, connection });
  const deliveries = new Queue('chain-deliveries', { prefix: run.prefix, connection });
  await preload(events, run.total);
  const pool = new Pool(run.url, { connections: run.concurrency });
  const enqueue = new Batcher<Job, void>({
    maxSize: 100,
    maxDelayMs: 2,
    maxInFlight: 2,
    run: async (jobs) => {
      await deliveries.addBulk(
        jobs.map((job) => ({
          name: 'post',
          data: job.data as object,
          opts: { jobId: `chain-${job.id}`, removeOnComplete: true },
        })),
      );
      return jobs.map(() => undefined);
    },
  });
  const perSec = await consume(run.total, (delivered) => {
    const fanOut = consumerOf('chain-events', run, 64, (job) => enqueue.add(job));
    const deliver = consumerOf('chain-deliveries', run, run.concurrency, (job) =>
      post(pool, '/chain', JSON.stringify(job.data)),
    );
    deliver.on('completed', delivered);
    return [fanOut, deliver];
  });
  await enqueue.close();
  await Promise.all([
    pool.close(),
    ...[events, deliveries].map((queue) => queue.obliterate({ force: true }).then(() => queue.close())),
  ]);
  return perSec;
}
