import request from 'supertest';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const ALLOWED = '11111111-1111-4111-8111-111111111111';
const MISSING = '22222222-2222-4222-8222-222222222222';
const FORBIDDEN = '33333333-3333-4333-8333-333333333333';
const BROKEN = '44444444-4444-4444-8444-444444444444';
const UNAUTHORIZED = '55555555-5555-4555-8555-555555555555';
const HANGING = '66666666-6666-4666-8666-666666666666';

describe('Core-API access check for apiId (e2e)', () => {
  const coreApi = new HttpReceiver((incoming, response) => {
    // Never answers: the check must give up after 2 s.
    if (incoming.url.endsWith(HANGING)) return;
    const status = incoming.url.endsWith(ALLOWED)
      ? 200
      : incoming.url.endsWith(MISSING)
        ? 404
        : incoming.url.endsWith(BROKEN)
          ? 500
          : incoming.url.endsWith(UNAUTHORIZED)
            ? 401
            : 403;
    response.statusCode = status;
    response.end('{}');
  });
  let api: TestApi;
  const token = mintToken();
  const auth = bearer(token);
  const body = (apiId: string) => ({
    url: 'https://core.example/hook',
    events: [{ name: 'api.created' }],
    apiId,
  });

  beforeAll(async () => {
    const url = await coreApi.start();
    api = await createTestApi({ CORE_API_URL: `${url}/`, DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
  });
  afterAll(async () => {
    await api.close();
    await coreApi.stop();
  });

  it("asks GET {CORE_API_URL}/apis/{apiId} with the caller's token; 2xx allows", async () => {
    const created = await request(api.http).post('/webhooks').set(auth).send(body(ALLOWED)).expect(201);
    expect(created.body.apiId).toBe(ALLOWED);
    const call = coreApi.requests.at(-1);
    expect(call?.method).toBe('GET');
    expect(call?.url).toBe(`/apis/${ALLOWED}`);
    expect(call?.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('404 → 404, 401/403 → 403, 5xx → 503 with a clear message; nothing is created', async () => {
    await request(api.http).post('/webhooks').set(auth).send(body(MISSING)).expect(404);
    await request(api.http).post('/webhooks').set(auth).send(body(FORBIDDEN)).expect(403);
    await request(api.http).post('/webhooks').set(auth).send(body(UNAUTHORIZED)).expect(403);
    const broken = await request(api.http).post('/webhooks').set(auth).send(body(BROKEN)).expect(503);
    expect(broken.body).toEqual({ code: 503, message: expect.stringMatching(/Core-API answered 500/) });
    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body.map((webhook: { apiId: string }) => webhook.apiId)).toEqual([ALLOWED]);
  });

  it('checks a changed apiId on PUT too', async () => {
    const [webhook] = (await request(api.http).get('/webhooks').set(auth).expect(200)).body;
    await request(api.http).put(`/webhooks/${webhook.id}`).set(auth).send({ apiId: FORBIDDEN }).expect(403);
    const unchanged = await request(api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    expect(unchanged.body.apiId).toBe(ALLOWED);
  });

  it('a Core-API that does not answer within 2 s → 503', async () => {
    const started = Date.now();
    const response = await request(api.http).post('/webhooks').set(auth).send(body(HANGING)).expect(503);
    expect(response.body.message).toMatch(/did not answer/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('an unreachable Core-API → 503, not a 500', async () => {
    const offline = await createTestApi({
      CORE_API_URL: 'http://127.0.0.1:9',
      DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    try {
      const response = await request(offline.http)
        .post('/webhooks')
        .set(auth)
        .send(body(ALLOWED))
        .expect(503);
      expect(response.body.code).toBe(503);
    } finally {
      await offline.close();
    }
  });
});
