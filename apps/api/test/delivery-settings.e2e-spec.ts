import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

/** The per-webhook throttle (`rateLimit`) and the read-only `deliveryHealth` (fair delivery). */
describe('Webhook delivery settings: rateLimit and deliveryHealth (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({});
  });
  afterAll(() => api.close());

  const auth = () => bearer(mintToken({ sub: `settings-${Math.random().toString(36).slice(2)}` }));
  const body = (extra: object = {}) => ({
    url: 'https://example.com/hook',
    events: [{ name: 'api.created' }],
    ...extra,
  });

  it('is unlimited and healthy by default', async () => {
    const created = await request(api.http).post('/webhooks').set(auth()).send(body()).expect(201);
    expect(created.body.rateLimit).toBeNull();
    expect(created.body.deliveryHealth).toEqual({ state: 'healthy', pausedUntil: null });
  });

  it('stores a rateLimit from 1 to 10,000, changes it with PUT, and clears it with null', async () => {
    const caller = auth();
    const created = await request(api.http)
      .post('/webhooks')
      .set(caller)
      .send(body({ rateLimit: 1 }))
      .expect(201);
    expect(created.body.rateLimit).toBe(1);
    const id = created.body.id as string;
    const raised = await request(api.http)
      .put(`/webhooks/${id}`)
      .set(caller)
      .send({ rateLimit: 10_000 })
      .expect(200);
    expect(raised.body.rateLimit).toBe(10_000);
    // A GET response sent back as it is (deliveryHealth included) changes nothing.
    const again = await request(api.http).put(`/webhooks/${id}`).set(caller).send(raised.body).expect(200);
    expect(again.body.rateLimit).toBe(10_000);
    const cleared = await request(api.http)
      .put(`/webhooks/${id}`)
      .set(caller)
      .send({ rateLimit: null })
      .expect(200);
    expect(cleared.body.rateLimit).toBeNull();
    expect(
      (await request(api.http).get(`/webhooks/${id}`).set(caller).expect(200)).body.rateLimit,
    ).toBeNull();
  });

  it.each([0, -1, 10_001, 1.5, '5', true, [5], { n: 5 }, Number.MAX_SAFE_INTEGER + 2])(
    'refuses rateLimit %j with a 400 naming the field, and changes nothing',
    async (rateLimit) => {
      const caller = auth();
      const refused = await request(api.http)
        .post('/webhooks')
        .set(caller)
        .send(body({ rateLimit }))
        .expect(400);
      expect(refused.body).toMatchObject({ code: 400 });
      expect(refused.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'rateLimit' })]),
      );
      expect((await request(api.http).get('/webhooks').set(caller).expect(200)).body).toEqual([]);

      const created = await request(api.http)
        .post('/webhooks')
        .set(caller)
        .send(body({ rateLimit: 7 }))
        .expect(201);
      await request(api.http).put(`/webhooks/${created.body.id}`).set(caller).send({ rateLimit }).expect(400);
      expect((await request(api.http).get(`/webhooks/${created.body.id}`).set(caller)).body.rateLimit).toBe(
        7,
      );
    },
  );

  it('refuses a rateLimit that JSON.parse turns into Infinity', async () => {
    const refused = await request(api.http)
      .post('/webhooks')
      .set(auth())
      .set('content-type', 'application/json')
      .send('{"url":"https://example.com/hook","events":[{"name":"api.created"}],"rateLimit":1e309}')
      .expect(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'rateLimit' })]);
  });

  it('shows a paused endpoint and until when, and a slow one', async () => {
    const caller = auth();
    const created = await request(api.http).post('/webhooks').set(caller).send(body()).expect(201);
    const id = created.body.id as string;
    const db = api.app.get(DataSource);
    const until = new Date(Date.now() + 60_000);
    await db.query('UPDATE webhooks SET paused_until = $2, pause_count = 1 WHERE id = $1', [id, until]);
    expect((await request(api.http).get(`/webhooks/${id}`).set(caller)).body.deliveryHealth).toEqual({
      state: 'paused',
      pausedUntil: until.toISOString(),
    });
    await db.query('UPDATE webhooks SET paused_until = NULL, slow_since = now() WHERE id = $1', [id]);
    const listed = await request(api.http).get('/webhooks').set(caller).expect(200);
    expect(listed.body[0].deliveryHealth).toEqual({ state: 'slow', pausedUntil: null });
  });

  it('ignores deliveryHealth in a request body: it is read-only', async () => {
    const caller = auth();
    const created = await request(api.http)
      .post('/webhooks')
      .set(caller)
      .send(body({ deliveryHealth: { state: 'paused', pausedUntil: '2030-01-01T00:00:00.000Z' } }))
      .expect(201);
    expect(created.body.deliveryHealth).toEqual({ state: 'healthy', pausedUntil: null });
  });
});
