import request from 'supertest';
import { BLOCKED_INSECURE_URL } from '@app/netguard';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import { createPipeline, ownerEvent, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

/** README → Configuration: DELIVERY_REQUIRE_HTTPS refuses http:// at create/update and at delivery. */
describe('DELIVERY_REQUIRE_HTTPS (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const owner = `https-only-${Date.now()}`;
  const auth = bearer(mintToken({ sub: owner }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('require-https', { DELIVERY_REQUIRE_HTTPS: 'true' }));
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  it.each(['http://hooks.example.com/in', 'HTTP://hooks.example.com/in'])(
    'create and update refuse %s with a 400 naming the variable; nothing is stored',
    async (url) => {
      const refused = await request(pipeline.api.http)
        .post('/webhooks')
        .set(auth)
        .send({ url, events: [{ name: 'api.created' }] })
        .expect(400);
      expect(refused.body).toMatchObject({
        code: 400,
        errors: [{ field: 'url', message: expect.stringContaining('DELIVERY_REQUIRE_HTTPS=true') }],
      });
      const kept = await createWebhook(pipeline.api.http, auth, { url: 'https://hooks.example.com/in' });
      await request(pipeline.api.http).put(`/webhooks/${kept.id}`).set(auth).send({ url }).expect(400);
      const stored = await request(pipeline.api.http).get(`/webhooks/${kept.id}`).set(auth).expect(200);
      expect(stored.body.url).toBe('https://hooks.example.com/in');
    },
  );

  it('a row written before the setting is never connected to: the attempt is recorded as blocked', async () => {
    // An owner of its own: the first test's webhooks must not get this event.
    const earlier = `https-earlier-${Date.now()}`;
    const webhook = await createWebhook(pipeline.api.http, bearer(mintToken({ sub: earlier })), {
      url: 'https://127.0.0.1:1/unused',
    });
    await pipeline.dataSource.query('UPDATE webhooks SET url = $2 WHERE id = $1', [
      webhook.id,
      `${receiver.url}/plain`,
    ]);
    await pipeline.publisher.publish(ownerEvent(earlier));
    const [attempt] = await waitUntil(async () => {
      const rows = await pipeline.dataSource.query<
        Array<{ error: string | null; status_code: number | null }>
      >('SELECT error, status_code FROM delivery_attempts WHERE webhook_id = $1', [webhook.id]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(attempt).toEqual({ error: BLOCKED_INSECURE_URL, status_code: null });
    expect(receiver.requests.filter((r) => r.url === '/plain')).toHaveLength(0);
  });
});
