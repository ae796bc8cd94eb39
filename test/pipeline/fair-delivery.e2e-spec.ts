import { Behaviour, bearer, createWebhook, mintToken, TimedReceiver } from '@app/testing';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics';
import { createPipeline, Pipeline, pipelineEnv, waitUntil, ownerEvent } from './helpers/pipeline';

/**
 * The isolation scenarios of README → Fair delivery, on one worker with the defaults
 * (DELIVERY_CONCURRENCY=50, DELIVERY_ENDPOINT_CONCURRENCY=10) and a 10 s deadline: while other
 * tenants' endpoints hang or crawl with a backlog, a healthy tenant's 20 events, published at
 * 10/s, never wait for a broken endpoint's slot. An event that did would arrive a deadline (10 s)
 * or a slow answer (2 s) late, so the bounds sit below both, with room for a busy machine; the
 * speed target itself (each within 1 s) is `npm run bench`'s isolation scenario.
 */
describe('Fair delivery: a broken endpoint never delays another tenant (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new TimedReceiver();
  let run = 0;
  /** Below the 2 s of the slow endpoint and the 10 s deadline: a queued-behind event exceeds it. */
  const NEVER_QUEUED_BEHIND_MS = 1_800;
  const MEDIAN_MS = 500;

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('fair', { DELIVERY_TIMEOUT: '10s', DELIVERY_CONCURRENCY: '50' }),
    );
  });
  afterAll(async () => {
    // Hanging sockets go first, so the worker's in-flight attempts end at once.
    await receiver.stop();
    await pipeline.close();
  });

  /** A tenant of its own (user id = owner of the events) with one webhook on `path`. */
  async function tenant(path: string, behaviour: Behaviour): Promise<string> {
    run += 1;
    const owner = `fair-${run}-${Date.now()}`;
    receiver.behave(path, behaviour);
    await createWebhook(pipeline.api.http, bearer(mintToken({ sub: owner })), {
      url: `${receiver.url}${path}`,
      events: ['api.created'],
    });
    return owner;
  }

  async function backlog(owner: string, count: number): Promise<void> {
    await pipeline.publisher.publishBulk(Array.from({ length: count }, () => ownerEvent(owner)));
  }

  /** 20 events at 10/s to a healthy endpoint; publish → receipt of each, in ms. */
  async function healthyLatencies(): Promise<number[]> {
    const path = `/healthy-${run + 1}`;
    const owner = await tenant(path, { kind: 'ok' });
    const published: Array<{ id: string; at: number }> = [];
    for (let i = 0; i < 20; i += 1) {
      const at = Date.now();
      published.push({ id: await pipeline.publisher.publish(ownerEvent(owner)), at });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitUntil(
      async () => receiver.count(path) >= 20,
      15_000,
      'the healthy tenant to receive 20 events',
    );
    const latencies = published
      .map(({ id, at }) => (receiver.arrivalOf(path, id) as number) - at)
      .sort((a, b) => a - b);
    process.stdout.write(
      `fair delivery, ${expect.getState().currentTestName}: healthy p50 ${latencies[10]} ms, max ${latencies[19]} ms\n`,
    );
    return latencies;
  }

  const median = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)];

  it('idle: the reference figures; first attempts are made by the fan-out’s worker, with no delivery job', async () => {
    const latencies = await healthyLatencies();
    expect(latencies).toHaveLength(20);
    expect(latencies[19]).toBeLessThan(NEVER_QUEUED_BEHIND_MS);
    expect(median(latencies)).toBeLessThan(MEDIAN_MS);
    const metrics = await pipeline.worker.app
      .get(WorkerMetrics)
      .registry.getSingleMetric('event_api_first_attempts_total')
      ?.get();
    const inProcess = metrics?.values.find((value) => value.labels.path === 'in_process')?.value ?? 0;
    expect(inProcess).toBeGreaterThanOrEqual(20);
  });

  it('one endpoint hangs with 400 events queued for it', async () => {
    const bad = await tenant('/hang', { kind: 'hang' });
    await backlog(bad, 400);
    await waitUntil(async () => receiver.count('/hang') >= 1, 10_000, 'the hanging endpoint to be tried');
    const latencies = await healthyLatencies();
    expect(latencies[19]).toBeLessThan(NEVER_QUEUED_BEHIND_MS);
    expect(median(latencies)).toBeLessThan(MEDIAN_MS);
    // The hanging endpoint holds a few slots, not the worker: at most its cap, never its backlog.
    expect(receiver.count('/hang')).toBeLessThanOrEqual(10);
  }, 45_000);

  it('one endpoint answers every request after 2 s, with 200 events queued', async () => {
    const slow = await tenant('/slow', { kind: 'delay', ms: 2_000 });
    await backlog(slow, 200);
    const latencies = await healthyLatencies();
    expect(latencies[19]).toBeLessThan(NEVER_QUEUED_BEHIND_MS);
    expect(median(latencies)).toBeLessThan(MEDIAN_MS);
    // Still served at its own pace, not starved: ten more within a few seconds.
    const served = receiver.count('/slow');
    await waitUntil(
      async () => receiver.count('/slow') >= served + 10,
      15_000,
      'the slow endpoint to be served',
    );
  }, 45_000);

  it('twenty tenants’ endpoints hang at once, 30 events each: every one is tried, none delays the healthy tenant', async () => {
    const paths = Array.from({ length: 20 }, (_, i) => `/hang-${i}`);
    const owners = [];
    for (const path of paths) owners.push(await tenant(path, { kind: 'hang' }));
    await Promise.all(owners.map((owner) => backlog(owner, 30)));
    const latencies = await healthyLatencies();
    expect(latencies[19]).toBeLessThan(NEVER_QUEUED_BEHIND_MS);
    expect(median(latencies)).toBeLessThan(MEDIAN_MS);
    await waitUntil(
      async () => paths.every((path) => receiver.count(path) >= 1),
      5_000,
      'every hanging endpoint to be tried',
    );
  }, 45_000);
});
