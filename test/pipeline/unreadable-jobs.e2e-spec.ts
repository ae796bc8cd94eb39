import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import { HealthServer } from '../../apps/worker/src/health-server';
import { METRICS_CACHE_MS } from '../../apps/worker/src/metrics/worker-metrics';
import { WorkerQueues } from '../../apps/worker/src/worker-queues';
import {
  createPipeline,
  eventsQueue,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

/** A sample of a Prometheus text exposition: `name{labels} value`. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Job data that is not JSON, as Python's json.dumps writes it by default (bare NaN, Infinity), and
 * the worker's /metrics, which reads PostgreSQL and Redis at most once per METRICS_CACHE_MS.
 */
describe('Unreadable jobs and the metrics they must not break (e2e)', () => {
  let pipeline: Pipeline;
  let queue: Queue;
  let metricsUrl: string;
  const receiver = new HttpReceiver();
  const apiId = randomUUID();
  const statuses: number[] = [];

  /** One scrape of the worker's /metrics; every status is kept, to assert none was an error. */
  async function scrape(): Promise<string> {
    const response = await fetch(metricsUrl);
    statuses.push(response.status);
    return response.text();
  }

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('unreadable-jobs'));
    queue = eventsQueue(pipeline.api.config);
    metricsUrl = `http://127.0.0.1:${pipeline.worker.app.get(HealthServer).port}/metrics`;
    await request(pipeline.api.http)
      .post('/webhooks')
      .set(bearer(mintToken({ sub: `unreadable-${apiId}` })))
      .send({ url: `${receiver.url}/hook`, apiId, events: [{ name: 'api.created' }] })
      .expect(201);
    // Its webhook.created event gone through: the jobs added below are the only ones waiting.
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await queue.resume();
    await queue.close();
    await pipeline.close();
    await receiver.stop();
  });

  it('data that is not JSON ends in the failed set with the reason; the next event is delivered; /metrics answers throughout', async () => {
    // What `queue.add(...)` of Python's bullmq writes for an envelope holding NaN or Infinity
    // (json.dumps with separators=(',', ':') and allow_nan left True). Added paused, then
    // rewritten in the job hash before any worker can take it.
    const pythonData = [
      `{"id":NaN,"name":"api.created","user":{"id":"u-1"},"resourceType":"Api","resource":{},"apiId":"${apiId}"}`,
      `{"name":"api.created","user":{"id":"u-1"},"resourceType":"Api","resource":{"ratio":-Infinity},"apiId":"${apiId}"}`,
    ];
    await queue.pause();
    const client = await queue.getBackend().client;
    const jobIds: string[] = [];
    for (const data of pythonData) {
      const job = await queue.add('api.created', { placeholder: true }, { jobId: `py-${randomUUID()}` });
      await client.hset(queue.toKey(job.id as string), { data });
      jobIds.push(job.id as string);
    }
    // The oldest waiting job is the first of them: the scrape reads its age, never its data.
    const waiting = await scrape();
    expect(sample(waiting, 'event_api_queue_jobs', '{queue="events",state="failed"}')).toBe(0);
    expect(sample(waiting, 'event_api_queue_oldest_waiting_age_seconds', '{queue="events"}')).toBeGreaterThan(
      0,
    );
    await queue.resume();

    for (const jobId of jobIds) {
      const job = await waitUntil(
        async () => {
          await scrape();
          return (await queue.getJobState(jobId)) === 'failed' ? client.hgetall(queue.toKey(jobId)) : false;
        },
        10_000,
        `job ${jobId} failed`,
      );
      expect(job.failedReason).toBe('invalid envelope: data is not JSON');
      // Failed at its first attempt: never stalled, never taken again.
      expect(job.atm).toBe('1');
      expect(job.stc ?? '0').toBe('0');
      // Kept as the publisher wrote it, for the operator who looks.
      expect(job.data).toBe(pythonData[jobIds.indexOf(jobId)]);
    }

    const eventId = `after-${randomUUID()}`;
    await pipeline.publisher.publish({
      id: eventId,
      name: 'api.created',
      user: { id: 'u-1' },
      resourceType: 'Api',
      resource: {},
      apiId,
    });
    await waitUntil(
      async () => {
        await scrape();
        return receiver.requests.some((received) => received.headers['webhook-id'] === eventId);
      },
      10_000,
      'the next event delivered',
    );
    // The failures show once the metrics' window has passed.
    await waitUntil(
      async () =>
        (sample(await scrape(), 'event_api_queue_jobs', '{queue="events",state="failed"}') ?? 0) >= 2,
      10_000,
      'the failed events counted in /metrics',
    );
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // Not one read had to fall back on earlier values because of them.
    const text = await scrape();
    expect(sample(text, 'event_api_metrics_collection_failures_total', '{source="queues"}')).toBe(0);
  });

  describe('/metrics reads PostgreSQL and Redis at most once per window', () => {
    let reads: number[];
    let readQueueCounts: jest.SpyInstance;

    beforeEach(() => {
      const watched = pipeline.worker.app.get(WorkerQueues).eventsQueue;
      const original = watched.getJobCounts.bind(watched);
      reads = [];
      readQueueCounts = jest.spyOn(watched, 'getJobCounts').mockImplementation((...types) => {
        reads.push(Date.now());
        return original(...types);
      });
    });
    afterEach(() => readQueueCounts.mockRestore());

    it('concurrent scrapes share one read; rapid scrapes read again only after the window', async () => {
      const texts = await Promise.all(Array.from({ length: 40 }, () => scrape()));
      expect(reads.length).toBeLessThanOrEqual(1);
      for (const text of texts) expect(text).toContain('event_api_queue_jobs{queue="events",state="failed"}');

      let scrapes = 0;
      await waitUntil(
        async () => {
          scrapes += 1;
          await scrape();
          return reads.length >= 3;
        },
        4 * METRICS_CACHE_MS + 5_000,
        'three reads',
      );
      expect(scrapes).toBeGreaterThan(reads.length * 5);
      for (let i = 1; i < reads.length; i++) {
        expect(reads[i] - reads[i - 1]).toBeGreaterThanOrEqual(METRICS_CACHE_MS);
      }
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    });

    it('a failed read does not fail the scrape: the last values are served and the failure counted', async () => {
      const before = await scrape();
      const failedBefore = sample(before, 'event_api_queue_jobs', '{queue="events",state="failed"}');
      expect(failedBefore).toEqual(expect.any(Number));
      readQueueCounts.mockRejectedValue(new Error('Redis went away'));
      const text = await waitUntil(
        async () => {
          const body = await scrape();
          const failures = sample(body, 'event_api_metrics_collection_failures_total', '{source="queues"}');
          return (failures ?? 0) >= 1 ? body : undefined;
        },
        2 * METRICS_CACHE_MS + 5_000,
        'a counted failure',
      );
      expect(sample(text, 'event_api_queue_jobs', '{queue="events",state="failed"}')).toBe(failedBefore);
      expect(sample(text, 'event_api_metrics_collection_failures_total', '{source="database"}')).toBe(0);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    });
  });
});
