import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, freePort, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

/** README → API → Rate limits: per user, RATE_LIMIT per window, shared by every API instance through Redis. */
describe('Rate limit (e2e)', () => {
  const prefix = `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-rate-limit-${randomUUID()}`;
  let first: TestApi;
  let second: TestApi;

  beforeAll(async () => {
    // Two instances, as behind a load balancer: same Redis, same prefix.
    first = await createTestApi({ RATE_LIMIT: '5/30s', QUEUE_PREFIX: prefix });
    second = await createTestApi({ RATE_LIMIT: '5/30s', QUEUE_PREFIX: prefix });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('counts one budget across instances, then answers 429 with Retry-After and the ErrorResponse shape', async () => {
    const auth = bearer(mintToken({ sub: `limited-${randomUUID()}` }));
    const remaining: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      const api = n % 2 === 0 ? first : second;
      const response = await request(api.http).get('/webhooks').set(auth).expect(200);
      expect(response.headers['ratelimit-limit']).toBe('5');
      expect(response.headers['ratelimit-policy']).toBe('5;w=30');
      expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
      remaining.push(response.headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    const refused = await request(second.http).get('/webhooks').set(auth).expect(429);
    expect(refused.body).toEqual({ code: 429, message: expect.stringMatching(/^Rate limit exceeded/) });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    // A write is refused too, and changes nothing.
    await request(first.http)
      .post('/webhooks')
      .set(auth)
      .send({ url: 'https://a.example/', events: [{ name: 'api.created' }] })
      .expect(429);
  });

  it('is per user: another user, health and docs are not affected', async () => {
    const busy = bearer(mintToken({ sub: `busy-${randomUUID()}` }));
    for (let n = 0; n < 6; n += 1) await request(first.http).get('/events').set(busy);
    await request(first.http).get('/events').set(busy).expect(429);
    await request(first.http)
      .get('/events')
      .set(bearer(mintToken({ sub: `calm-${randomUUID()}` })))
      .expect(200);
    for (let n = 0; n < 8; n += 1) {
      const health = await request(first.http).get('/health');
      expect(health.status).not.toBe(429);
      expect(health.headers['ratelimit-limit']).toBeUndefined();
    }
  });

  it('RATE_LIMIT=0 turns it off', async () => {
    const api = await createTestApi({ RATE_LIMIT: '0', QUEUE_PREFIX: prefix });
    try {
      const auth = bearer(mintToken({ sub: `unlimited-${randomUUID()}` }));
      for (let n = 0; n < 12; n += 1) {
        const response = await request(api.http).get('/events').set(auth).expect(200);
        expect(response.headers['ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await api.close();
    }
  });

  it('with Redis unreachable each instance still answers, limiting on its own count', async () => {
    const api = await createTestApi({
      RATE_LIMIT: '3/30s',
      QUEUE_PREFIX: prefix,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    try {
      const auth = bearer(mintToken({ sub: `offline-${randomUUID()}` }));
      for (let n = 0; n < 3; n += 1) await request(api.http).get('/events').set(auth).expect(200);
      const refused = await request(api.http).get('/events').set(auth).expect(429);
      expect(refused.body.code).toBe(429);
    } finally {
      await api.close();
    }
  });
});
