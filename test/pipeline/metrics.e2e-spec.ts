import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SERVER_LIMITS } from '@app/http';
import { bearer, HttpReceiver, mintToken, partialHeadersClient } from '@app/testing';
import { HealthServer } from '../../apps/worker/src/health-server';
import {
  createPipeline,
  createTestWorker,
  Pipeline,
  pipelineEnv,
  TestWorker,
  waitUntil,
} from './helpers/pipeline';

/** Lines of a Prometheus text exposition: `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Operations → Metrics and alerts: GET /metrics on the API and on the worker's WORKER_PORT, Prometheus text. */
describe('Metrics (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver((incoming, response) => {
    response.statusCode = incoming.url === '/gone' ? 410 : 200;
    response.end();
  });
  const apiId = randomUUID();
  const auth = bearer(mintToken({ sub: `metrics-${Date.now()}` }));
  let workerUrl: string;

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('metrics'));
    workerUrl = `http://127.0.0.1:${pipeline.worker.app.get(HealthServer).port}`;
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  it('API: requests by route template, method and status, and a latency histogram', async () => {
    await request(pipeline.api.http).get('/webhooks').set(auth).expect(200);
    await request(pipeline.api.http).get(`/webhooks/${randomUUID()}`).set(auth).expect(404);
    const response = await request(pipeline.api.http).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(
      sample(response.text, 'event_api_http_requests_total', '{method="GET",route="/webhooks",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        response.text,
        'event_api_http_requests_total',
        '{method="GET",route="/webhooks/:id",status="404"}',
      ),
    ).toBe(1);
    expect(response.text).toContain(
      'event_api_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/webhooks"}',
    );
    expect(response.text).not.toMatch(/route="\/webhooks\/[0-9a-f]{8}-/);
  });

  it('worker: deliveries by outcome, attempt latency, disabled webhooks, queues, batches, outbox', async () => {
    for (const path of ['/ok', '/gone']) {
      await request(pipeline.api.http)
        .post('/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}${path}`, apiId, events: [{ name: 'api.created' }] })
        .expect(201);
    }
    await pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u' },
      resourceType: 'Api',
      resource: {},
      apiId,
    });
    const text = await waitUntil(async () => {
      const body = await (await fetch(`${workerUrl}/metrics`)).text();
      return (sample(body, 'event_api_webhooks_disabled_total', '{reason="gone"}') ?? 0) >= 1
        ? body
        : undefined;
    });
    expect(sample(text, 'event_api_deliveries_total', '{outcome="success"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'event_api_deliveries_total', '{outcome="failed_final"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'event_api_delivery_attempt_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'event_api_queue_jobs', '{queue="deliveries",state="waiting"}'),
    ).toBeGreaterThanOrEqual(0);
    expect(
      sample(text, 'event_api_queue_oldest_waiting_age_seconds', '{queue="events"}'),
    ).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'event_api_batch_size_count', '{batch="record"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'event_api_batch_size_count', '{batch="fan_out"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'event_api_outbox_backlog')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('event_api_sweeper_reenqueued_total');
    expect(text).toContain('event_api_worker_process_cpu_seconds_total');
  });
});

describe("the worker's /metrics with METRICS_TOKEN (e2e)", () => {
  const token = 'worker-scrape-token-0123456789';
  let worker: TestWorker;
  let url: string;
  beforeAll(async () => {
    worker = await createTestWorker(pipelineEnv('metrics-token', { METRICS_TOKEN: token }));
    url = `http://127.0.0.1:${worker.app.get(HealthServer).port}`;
  });
  afterAll(() => worker.close());

  it('refuses a scrape without the token (401) and serves one with it; /health needs none', async () => {
    await request(url).get('/metrics').expect(401, { code: 401, message: 'Access denied' });
    await request(url).get('/metrics').set('Authorization', 'Bearer worker-scrape-token-X').expect(401);
    const scraped = await request(url).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(scraped.text).toContain('event_api_deliveries_total');
    const health = await request(url).get('/health');
    expect(health.status).not.toBe(401);
  });

  it('the worker listener runs on the hardened server: a partial-headers client is cut off at the headers deadline', async () => {
    const port = worker.app.get(HealthServer).port;
    const { received, elapsedMs } = await partialHeadersClient(port, SERVER_LIMITS.headersTimeoutMs + 5_000);
    expect(received).toMatch(/^HTTP\/1.1 408 /);
    expect(received.endsWith('{"code":408,"message":"Request timed out"}')).toBe(true);
    expect(elapsedMs).toBeLessThan(
      SERVER_LIMITS.headersTimeoutMs + 2 * SERVER_LIMITS.checkIntervalMs + 1_000,
    );
  }, 20_000);
});
