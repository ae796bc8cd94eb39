import request from 'supertest';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const ALLOWED = '11111111-1111-4111-8111-111111111111';
const MISSING = '22222222-2222-4222-8222-222222222222';
const FORBIDDEN = '33333333-3333-4333-8333-333333333333';
const BROKEN = '44444444-4444-4444-8444-444444444444';

describe('Core-API access check for apiId (e2e)', () => {
  const coreApi = new HttpReceiver((incoming, response) => {
    const status = incoming.url.endsWith(ALLOWED)
      ? 200
      : incoming.url.endsWith(MISSING)
        ? 404
        : incoming.url.endsWith(BROKEN)
          ? 500
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

  it('404 from the Core-API → 404; anything else → 403; nothing is created', async () => {
    await request(api.http).post('/webhooks').set(auth).send(body(MISSING)).expect(404);
    await request(api.http).post('/webhooks').set(auth).send(body(FORBIDDEN)).expect(403);
    await request(api.http).post('/webhooks').set(auth).send(body(BROKEN)).expect(403);
    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body.map((webhook: { apiId: string }) => webhook.apiId)).toEqual([ALLOWED]);
  });

  it('checks a changed apiId on PUT too', async () => {
    const [webhook] = (await request(api.http).get('/webhooks').set(auth).expect(200)).body;
    await request(api.http).put(`/webhooks/${webhook.id}`).set(auth).send({ apiId: FORBIDDEN }).expect(403);
    const unchanged = await request(api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    expect(unchanged.body.apiId).toBe(ALLOWED);
  });

  it('an unreachable Core-API → 403, not a 500', async () => {
    const offline = await createTestApi({
      CORE_API_URL: 'http://127.0.0.1:9',
      DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    try {
      const response = await request(offline.http)
        .post('/webhooks')
        .set(auth)
        .send(body(ALLOWED))
        .expect(403);
      expect(response.body.code).toBe(403);
    } finally {
      await offline.close();
    }
  });
});
