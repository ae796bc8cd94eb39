import request from 'supertest';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv, waitForQuiet, waitUntil } from './helpers/pipeline';

const API_ID = '9c1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('Retry-After and auto-disable for failing webhooks (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const sub = `retries-${Date.now()}`;
  const auth = bearer(mintToken({ sub }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('retries', {
        DELIVERY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms',
        WEBHOOK_DISABLE_AFTER: '500ms',
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const createHook = (path: string, events: string[], apiId?: string) =>
    createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}${path}`,
      events,
      ...(apiId ? { apiId } : {}),
    });

  const attemptTimes = (webhookId: string) =>
    pipeline.dataSource.query<Array<{ created_at: Date }>>(
      'SELECT created_at FROM delivery_attempts WHERE webhook_id = $1 ORDER BY attempt',
      [webhookId],
    );

  it('waits max(schedule, Retry-After), capped at twice the scheduled delay, after a 429', async () => {
    const webhook = await createHook('/busy', ['api.created'], API_ID);
    receiver.respondWith((incoming, response) => {
      if (incoming.url !== '/busy') return void response.end();
      const first = receiver.requests.filter((r) => r.url === '/busy').length === 1;
      response.statusCode = first ? 429 : 200;
      // 10 s asked for, 2 × 300 ms allowed.
      if (first) response.setHeader('retry-after', '10');
      response.end();
    });
    await pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u' },
      resourceType: 'Api',
      resource: {},
      apiId: API_ID,
    });
    const times = await waitUntil(async () => {
      const rows = await attemptTimes(webhook.id);
      return rows.length === 2 ? rows : undefined;
    });
    const gap = times[1].created_at.getTime() - times[0].created_at.getTime();
    expect(gap).toBeGreaterThanOrEqual(550);
    expect(gap).toBeLessThan(2_000);
  });

  it('disables a webhook whose deliveries keep failing longer than WEBHOOK_DISABLE_AFTER, and re-activation clears it', async () => {
    const watcher = await createHook('/watch', ['webhook.disabled']);
    const failing = await createHook('/failing', ['release.created'], API_ID);
    receiver.respondWith((incoming, response) => {
      response.statusCode = incoming.url === '/failing' ? 500 : 200;
      response.end();
    });
    await pipeline.publisher.publish({
      name: 'release.created',
      user: { id: 'u' },
      resourceType: 'Release',
      resource: {},
      apiId: API_ID,
    });
    const notice = await waitUntil(
      () => Promise.resolve(receiver.requests.find((r) => r.url === '/watch')),
      10_000,
      'webhook.disabled',
    );
    expect(JSON.parse(notice.body)).toMatchObject({
      name: 'webhook.disabled',
      user: { id: 'system' },
      resource: { id: failing.id, active: false, disabledReason: 'failing' },
    });
    const attempts = receiver.requests.filter((r) => r.url === '/failing').length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
    const state = await request(pipeline.api.http).get(`/webhooks/${failing.id}`).set(auth).expect(200);
    expect(state.body).toMatchObject({
      active: false,
      disabledReason: 'failing',
      lastDelivery: { success: false, statusCode: 500 },
    });
    // Nothing more is sent to it: its delivery has failed for good.
    const [delivery] = await pipeline.dataSource.query(
      'SELECT status FROM deliveries WHERE webhook_id = $1',
      [failing.id],
    );
    expect(delivery.status).toBe('failed');
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(receiver.requests.filter((r) => r.url === '/failing')).toHaveLength(attempts);

    const reactivated = await request(pipeline.api.http)
      .put(`/webhooks/${failing.id}`)
      .set(auth)
      .send({ active: true })
      .expect(200);
    expect(reactivated.body).toMatchObject({ active: true, disabledReason: null });
    const [row] = await pipeline.dataSource.query('SELECT failing_since FROM webhooks WHERE id = $1', [
      failing.id,
    ]);
    expect(row.failing_since).toBeNull();
    // The notice went to the owner's watcher only, once.
    expect(receiver.requests.filter((r) => r.url === '/watch')).toHaveLength(1);
    expect(notice.headers['webhook-id']).toEqual(expect.any(String));
    expect(watcher.id).not.toBe(failing.id);
  });
});
