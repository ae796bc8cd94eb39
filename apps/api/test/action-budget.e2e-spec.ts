import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, createWebhook, mintToken } from '@app/testing';
import { createQueuedTestApi, QueuedTestApi } from './helpers/test-app';

/** README → Security (amplification): ACTION_DELIVERY_LIMIT bounds what a user's actions make us send. */
describe("the budget of deliveries a user's own actions cause (e2e)", () => {
  let api: QueuedTestApi;
  beforeAll(async () => {
    api = await createQueuedTestApi('action-budget', { ACTION_DELIVERY_LIMIT: '10/1m' });
  });
  afterAll(() => api.close());

  const user = () => bearer(mintToken({ sub: `budget-${randomUUID()}` }));
  const create = (auth: Record<string, string>, events: string[]) =>
    createWebhook(api.http, auth, { url: 'https://receiver.example/in', events });

  it('an update notifying 4 webhooks costs 4: the third is refused with 429 and Retry-After, and changes nothing', async () => {
    const auth = user();
    const target = await create(auth, ['api.created']);
    for (let i = 0; i < 4; i += 1) await create(auth, ['webhook.updated']);
    await request(api.http).put(`/webhooks/${target.id}`).set(auth).send({ custom: '{"n":1}' }).expect(200);
    await request(api.http).put(`/webhooks/${target.id}`).set(auth).send({ custom: '{"n":2}' }).expect(200);
    const refused = await request(api.http)
      .put(`/webhooks/${target.id}`)
      .set(auth)
      .send({ custom: '{"n":3}' })
      .expect(429);
    expect(refused.body).toEqual({
      code: 429,
      message: expect.stringMatching(
        /^Too many deliveries caused by your own actions: at most 10 per 60 s .* would cause 4/,
      ),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const current = await request(api.http).get(`/webhooks/${target.id}`).set(auth).expect(200);
    expect(current.body.custom).toBe('{"n":2}');
  });

  it('an action nobody is notified of costs nothing', async () => {
    const auth = user();
    const target = await create(auth, ['api.created']);
    for (let i = 0; i < 12; i += 1) {
      await request(api.http)
        .put(`/webhooks/${target.id}`)
        .set(auth)
        .send({ custom: `${i}` })
        .expect(200);
    }
  });

  it('pings cost one each; a delete is never refused', async () => {
    const auth = user();
    const target = await create(auth, ['webhook.deleted']);
    for (let i = 0; i < 10; i += 1)
      await request(api.http).post(`/webhooks/${target.id}/ping`).set(auth).expect(202);
    const refused = await request(api.http).post(`/webhooks/${target.id}/ping`).set(auth).expect(429);
    expect(refused.headers['retry-after']).toBeDefined();
    // Ten pings were queued, not eleven.
    const rows = await api.dataSource.query(
      `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1`,
      [target.id],
    );
    expect(rows[0].n).toBe(10);
    const other = await create(auth, ['api.created']);
    await request(api.http).delete(`/webhooks/${other.id}`).set(auth).expect(204);
  });

  it('creating webhooks counts the webhook.created notices they cause', async () => {
    const auth = user();
    // Each is told of its own creation too: 1 + 2 + 3 = 6.
    for (let i = 0; i < 3; i += 1) await create(auth, ['webhook.created']);
    await create(auth, ['webhook.created']); // 4 more: 10
    await request(api.http)
      .post('/webhooks')
      .set(auth)
      .send({ url: 'https://receiver.example/in', events: [{ name: 'webhook.created' }] })
      .expect(429);
    const listed = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(listed.body).toHaveLength(4);
  });
});
