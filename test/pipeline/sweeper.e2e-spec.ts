import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { DeliveryQueue, QueueName, redisOptionsFromUrl } from '@app/queue';
import { waitUntil } from './helpers/pipeline';

/** The sweeper's one pipelined check: which due deliveries have no live job (README → Nothing lost). */
describe('Sweeper job check (e2e)', () => {
  const prefix = `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-sweeper-check`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let deliveries: DeliveryQueue;

  beforeAll(() => {
    deliveries = new DeliveryQueue({ redisUrl, prefix });
  });
  const cleanups: Array<() => Promise<void>> = [];
  const WEBHOOK = randomUUID();
  const jobs = (ids: string[], delayMs?: number) =>
    ids.map((deliveryId) => ({ deliveryId, webhookId: WEBHOOK, delayMs }));
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await deliveries.queue.obliterate({ force: true });
    await deliveries.close();
  });

  it('leaves waiting and delayed jobs alone; reports missing and finished ones, freeing their ids', async () => {
    const [waiting, delayed, failed, missing] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await deliveries.enqueue(jobs([failed]));
    // A consumer that fails the one job: a failed job keeps its hash (and id) for a day.
    const consumer = new Worker(QueueName.Deliveries, () => Promise.reject(new Error('outage')), {
      prefix,
      connection: { ...redisOptionsFromUrl(redisUrl), maxRetriesPerRequest: null },
    });
    await waitUntil(async () => (await deliveries.queue.getJobState(failed)) === 'failed');
    await consumer.close();
    await deliveries.enqueue(jobs([waiting]));
    await deliveries.enqueue(jobs([delayed], 60_000));

    const { lost, live } = await deliveries.withoutLiveJob([waiting, delayed, failed, missing]);

    expect(lost.sort()).toEqual([failed, missing].sort());
    expect(live.sort()).toEqual([waiting, delayed].sort());
    expect(await deliveries.queue.getJobState(failed)).toBe('unknown');
    await deliveries.enqueue(jobs(lost));
    const states = await Promise.all(
      [waiting, delayed, failed, missing].map((id) => deliveries.queue.getJobState(id)),
    );
    expect(states).toEqual(['waiting', 'delayed', 'waiting', 'waiting']);
  });

  it('answers in one round trip for a whole batch', async () => {
    const ids = Array.from({ length: 500 }, () => randomUUID());
    const queue = new Queue(QueueName.Deliveries, { prefix, connection: redisOptionsFromUrl(redisUrl) });
    await queue.addBulk(
      ids.slice(0, 250).map((id) => ({ name: 'deliver', data: { deliveryId: id }, opts: { jobId: id } })),
    );
    const client = await deliveries.queue.getBackend().client;
    const before = Number(/total_commands_processed:(\d+)/.exec(await client.info())?.[1]);
    const { lost } = await deliveries.withoutLiveJob(ids);
    const after = Number(/total_commands_processed:(\d+)/.exec(await client.info())?.[1]);
    expect(lost.sort()).toEqual(ids.slice(250).sort());
    // One HGETALL per id, sent as one pipeline; nothing per id beyond that (the INFO itself counts 1).
    expect(after - before).toBeLessThanOrEqual(ids.length + 1 + 5);
    await queue.close();
  });

  it('a job hash left in no list (keys deleted one by one) is lost at its second sighting, and re-added', async () => {
    const [orphan, waiting] = [randomUUID(), randomUUID()];
    await deliveries.enqueue(jobs([orphan, waiting]));
    // What a non-atomic deletion can leave: the job hash survives, its entry in the wait list is gone.
    const client = (await deliveries.queue.getBackend().client) as unknown as Redis;
    expect(await client.lrem(deliveries.queue.toKey('wait'), 0, orphan)).toBe(1);
    expect(await deliveries.queue.getJobState(orphan)).toBe('unknown');

    const first = await deliveries.withoutLiveJob([orphan, waiting]);
    expect(first).toEqual({ lost: [], live: [orphan, waiting] });
    const second = await deliveries.withoutLiveJob([orphan, waiting], new Set(first.live));
    expect(second).toEqual({ lost: [orphan], live: [waiting] });

    await deliveries.enqueue(jobs(second.lost));
    expect(await deliveries.queue.getJobState(orphan)).toBe('waiting');
    expect(await deliveries.queue.getJobState(waiting)).toBe('waiting');
  });
  it('a hash fragment BullMQ writes for an id whose hash was deleted is removed, and the id re-added', async () => {
    const fragment = randomUUID();
    // A queue of its own: the consumer below must take this one job only.
    const ownPrefix = `${prefix}-fragment`;
    const deliveries = new DeliveryQueue({ redisUrl, prefix: ownPrefix });
    cleanups.push(async () => {
      await deliveries.queue.obliterate({ force: true });
      await deliveries.close();
    });
    await deliveries.enqueue(jobs([fragment]));
    // Keys deleted one by one: the hash goes first, the id is still in the wait list. Taking the
    // id writes a new hash with only processing fields, and failing it keeps that hash for a day.
    const client = (await deliveries.queue.getBackend().client) as unknown as Redis;
    expect(await client.del(deliveries.queue.toKey(fragment))).toBe(1);
    const seen: Array<{ name: unknown; data: unknown }> = [];
    const consumer = new Worker(
      QueueName.Deliveries,
      (job) => {
        seen.push({ name: job.name, data: job.data });
        return Promise.reject(new Error('no such job name'));
      },
      { prefix: ownPrefix, connection: { ...redisOptionsFromUrl(redisUrl), maxRetriesPerRequest: null } },
    );
    await waitUntil(async () => (await deliveries.queue.getJobState(fragment)) === 'failed');
    await consumer.close();
    expect(seen).toHaveLength(1);
    expect(seen[0].name).toBeUndefined();
    const left = await client.hgetall(deliveries.queue.toKey(fragment));
    expect(left.timestamp).toBeUndefined();
    expect(left.finishedOn).toBeDefined();

    const { lost, live } = await deliveries.withoutLiveJob([fragment]);
    expect({ lost, live }).toEqual({ lost: [fragment], live: [] });
    expect(await client.exists(deliveries.queue.toKey(fragment))).toBe(0);
    await deliveries.enqueue(jobs(lost));
    expect(await deliveries.queue.getJobState(fragment)).toBe('waiting');
    expect((await deliveries.queue.getJob(fragment))?.data).toEqual({
      deliveryId: fragment,
      webhookId: WEBHOOK,
    });
  });
});
