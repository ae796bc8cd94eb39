import request from 'supertest';
import { SERVER_LIMITS } from '@app/http';
import { partialHeadersClient } from '@app/testing';
import { MetricsListener } from '../src/metrics/metrics-listener';
import { createTestApi, TestApi } from './helpers/test-app';

const TOKEN = 'scrape-token-0123456789abcdef';

/** README → Operations → Metrics and alerts: METRICS_TOKEN and METRICS_PORT. */
describe('who may scrape /metrics (e2e)', () => {
  describe('METRICS_TOKEN on the public port', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await createTestApi({ METRICS_TOKEN: TOKEN });
    });
    afterAll(() => api.close());

    it.each([
      ['no Authorization header', {}],
      ['another token', { Authorization: 'Bearer scrape-token-0123456789abcdeX' }],
      ['the token in another scheme', { Authorization: `Basic ${TOKEN}` }],
    ])('%s: 401 Access denied', async (_name, headers) => {
      await request(api.http)
        .get('/metrics')
        .set(headers)
        .expect(401, { code: 401, message: 'Access denied' });
    });

    it('the token: 200, Prometheus text', async () => {
      const response = await request(api.http)
        .get('/metrics')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(200);
      expect(response.text).toContain('event_api_process_cpu_seconds_total');
    });

    it('health needs no token', async () => {
      const response = await request(api.http).get('/health');
      expect(response.status).not.toBe(401);
    });
  });

  describe('METRICS_PORT', () => {
    let api: TestApi;
    let metricsUrl: string;
    beforeAll(async () => {
      api = await createTestApi({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
      metricsUrl = `http://127.0.0.1:${api.app.get(MetricsListener).port}`;
    });
    afterAll(() => api.close());

    it('the public port no longer serves /metrics (404)', async () => {
      await request(api.http)
        .get('/metrics')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(404)
        .expect((response) => expect(response.body).toMatchObject({ code: 404 }));
    });

    it('the metrics port serves it, with the token', async () => {
      await request(metricsUrl).get('/metrics').expect(401, { code: 401, message: 'Access denied' });
      const response = await request(metricsUrl)
        .get('/metrics')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toContain('event_api_http_requests_total');
    });

    it('and nothing else', async () => {
      await request(metricsUrl).get('/webhooks').expect(404, { code: 404, message: 'Not Found' });
      await request(metricsUrl).post('/metrics').expect(404);
    });

    it('runs on the hardened server: a partial-headers client is cut off at the headers deadline', async () => {
      const port = api.app.get(MetricsListener).port as number;
      const { received, elapsedMs } = await partialHeadersClient(
        port,
        SERVER_LIMITS.headersTimeoutMs + 5_000,
      );
      expect(received).toMatch(/^HTTP\/1.1 408 /);
      expect(received.endsWith('{"code":408,"message":"Request timed out"}')).toBe(true);
      expect(elapsedMs).toBeLessThan(
        SERVER_LIMITS.headersTimeoutMs + 2 * SERVER_LIMITS.checkIntervalMs + 1_000,
      );
    }, 20_000);

    it('a body sent to it is never read: answered, the connection closed', async () => {
      const response = await request(metricsUrl)
        .post('/metrics')
        .set('Content-Type', 'application/json')
        .send('x'.repeat(50_000));
      expect(response.status).toBe(404);
      expect(response.headers.connection).toBe('close');
    });
  });

  it('without METRICS_PORT nothing else listens', async () => {
    const api = await createTestApi();
    try {
      expect(api.app.get(MetricsListener).port).toBeUndefined();
    } finally {
      await api.close();
    }
  });
});
