import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { bearer, createWebhook, HttpReceiver, mintToken, WebhookFields } from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv, waitForQuiet, waitUntil } from './helpers/pipeline';

const API_ID = '7a1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('Publish → fan-out → signed delivery (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const sub = `owner-${Date.now()}`;
  const auth = bearer(mintToken({ sub, nickname: 'ann' }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('delivery'));
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.respondWith((_request, response) => response.end('OK'));
  });

  const createHook = (fields: WebhookFields) => createWebhook(pipeline.api.http, auth, fields);

  it('delivers a published event signed per Standard Webhooks and records the attempt', async () => {
    const webhook = await createHook({
      url: `${receiver.url}/hook`,
      events: [{ name: 'api.created' }],
      apiId: API_ID,
    });
    const id = await pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u-1', nickname: 'bob' },
      resourceType: 'Api',
      resource: { id: API_ID, name: 'Pets' },
      apiId: API_ID,
    });
    const [received] = await receiver.waitFor(1);
    expect(received.method).toBe('POST');
    expect(received.url).toBe('/hook');
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['user-agent']).toBe('ApiTree-Webhooks/2.0');
    expect(received.headers['webhook-id']).toBe(id);
    expect(received.headers['x-apitree-event']).toBe('api.created');
    const verified = new Webhook(webhook.secret).verify(received.body, {
      'webhook-id': received.headers['webhook-id'] as string,
      'webhook-timestamp': received.headers['webhook-timestamp'] as string,
      'webhook-signature': received.headers['webhook-signature'] as string,
    });
    expect(verified).toEqual({
      id,
      name: 'api.created',
      timestamp: expect.any(String),
      user: { id: 'u-1', nickname: 'bob' },
      resourceType: 'Api',
      resource: { id: API_ID, name: 'Pets' },
      apiId: API_ID,
    });
    const log = await waitUntil(async () => {
      const response = await request(pipeline.api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
      return response.body.lastDelivery ?? undefined;
    });
    expect(log).toMatchObject({ success: true, statusCode: 200, response: 'OK' });
    const [attempt] = await pipeline.dataSource.query(
      'SELECT * FROM delivery_attempts WHERE webhook_id = $1',
      [webhook.id],
    );
    expect(attempt).toMatchObject({
      attempt: 1,
      success: true,
      status_code: 200,
      event_id: id,
      event_name: 'api.created',
    });
    expect(received.headers['x-apitree-delivery']).toBe(attempt.id);
  });

  const publish = (overrides: object = {}) =>
    pipeline.publisher.publish({
      name: 'api.updated',
      user: { id: 'u-2' },
      resourceType: 'Api',
      resource: { id: API_ID },
      apiId: API_ID,
      ...overrides,
    });

  const attemptsOf = (webhookId: string) =>
    pipeline.dataSource.query<
      Array<{
        attempt: number;
        success: boolean;
        status_code: number | null;
        error: string | null;
        created_at: Date;
      }>
    >(
      'SELECT attempt, success, status_code, error, created_at FROM delivery_attempts WHERE webhook_id = $1 ORDER BY attempt',
      [webhookId],
    );

  it('fans out by apiId, or by ownerId for webhooks without apiId; only active subscribers', async () => {
    const org = `org-${Date.now()}`;
    const orgAuth = bearer(mintToken({ sub, orgs: [org] }));
    const make = (path: string, fields: WebhookFields) =>
      createWebhook(pipeline.api.http, orgAuth, { url: `${receiver.url}/${path}`, ...fields });
    const otherApi = '8b1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    await make('by-api', { events: [{ name: 'release.released' }], apiId: otherApi });
    await make('by-owner', { events: [{ name: 'release.released' }], userId: org });
    await make('wrong-event', { events: [{ name: 'release.created' }], userId: org });
    await make('inactive', { events: [{ name: 'release.released' }], userId: org, active: false });
    await make('other-api', { events: [{ name: 'release.released' }], apiId: API_ID });
    await publish({ name: 'release.released', apiId: otherApi, ownerId: org, resourceType: 'Release' });
    await receiver.waitFor(2);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(receiver.requests.map((r) => r.url).sort()).toEqual(['/by-api', '/by-owner']);
  });

  it('publishing the same id twice delivers once', async () => {
    await createHook({ url: `${receiver.url}/dedupe`, events: [{ name: 'plan.created' }], apiId: API_ID });
    const id = `evt-${Date.now()}`;
    await publish({ id, name: 'plan.created', resourceType: 'Plan' });
    await publish({ id, name: 'plan.created', resourceType: 'Plan' });
    await receiver.waitFor(1);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(receiver.requests.filter((r) => r.url === '/dedupe')).toHaveLength(1);
    const rows = await pipeline.dataSource.query(
      'SELECT count(*)::int AS n FROM deliveries WHERE event_id = $1',
      [id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('retries failures on the schedule with the same webhook-id, then succeeds', async () => {
    const webhook = await createHook({
      url: `${receiver.url}/flaky`,
      events: [{ name: 'plan.subscribed' }],
      apiId: API_ID,
    });
    let calls = 0;
    receiver.respondWith((_request, response) => {
      calls += 1;
      response.statusCode = calls < 3 ? 500 : 204;
      response.end(calls < 3 ? 'boom' : '');
    });
    const id = await publish({ name: 'plan.subscribed', resourceType: 'Plan' });
    const requests = await receiver.waitFor(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([id]));
    expect(new Set(requests.map((r) => r.headers['x-apitree-delivery'])).size).toBe(3);
    const attempts = await waitUntil(async () => {
      const rows = await attemptsOf(webhook.id);
      return rows.length === 3 ? rows : undefined;
    });
    expect(attempts.map((a) => [a.attempt, a.success, a.status_code])).toEqual([
      [1, false, 500],
      [2, false, 500],
      [3, true, 204],
    ]);
    // The schedule is 200ms between attempts.
    expect(attempts[1].created_at.getTime() - attempts[0].created_at.getTime()).toBeGreaterThanOrEqual(180);
    const [delivery] = await pipeline.dataSource.query(
      'SELECT status, attempts FROM deliveries WHERE event_id = $1',
      [id],
    );
    expect(delivery).toEqual({ status: 'succeeded', attempts: 3 });
    const fresh = await request(pipeline.api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    expect(fresh.body.lastDelivery).toMatchObject({ success: true, statusCode: 204 });
  });

  it('gives up after the last scheduled attempt (1 + schedule length) to an endpoint that has succeeded before', async () => {
    const webhook = await createHook({
      url: `${receiver.url}/down`,
      events: [{ name: 'plan.unsubscribed' }],
      apiId: API_ID,
    });
    // One that never has gets only the retries of its window (unproven-endpoints.e2e-spec.ts).
    await pipeline.dataSource.query('UPDATE webhooks SET first_success_at = now() WHERE id = $1', [
      webhook.id,
    ]);
    receiver.respondWith((_request, response) => {
      response.statusCode = 503;
      response.end('down');
    });
    const id = await publish({ name: 'plan.unsubscribed', resourceType: 'Plan' });
    await receiver.waitFor(4);
    const [delivery] = await waitUntil(async () => {
      const rows = await pipeline.dataSource.query(
        'SELECT status, attempts FROM deliveries WHERE event_id = $1',
        [id],
      );
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(delivery).toEqual({ status: 'failed', attempts: 4 });
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(receiver.requests).toHaveLength(4);
    expect((await attemptsOf(webhook.id)).map((a) => a.status_code)).toEqual([503, 503, 503, 503]);
  });

  it('does not follow redirects: a 3xx is a failure', async () => {
    const webhook = await createHook({
      url: `${receiver.url}/moved`,
      events: [{ name: 'api.deleted' }],
      apiId: API_ID,
    });
    receiver.respondWith((incoming, response) => {
      response.statusCode = incoming.url === '/moved' ? 302 : 200;
      response.setHeader('location', `${receiver.url}/elsewhere`);
      response.end();
    });
    await publish({ name: 'api.deleted' });
    await receiver.waitFor(2);
    expect(receiver.requests.every((r) => r.url === '/moved')).toBe(true);
    const attempts = await attemptsOf(webhook.id);
    expect(attempts[0]).toMatchObject({ success: false, status_code: 302 });
  });

  it('a receiver that hangs fails with a timeout', async () => {
    const webhook = await createHook({
      url: `${receiver.url}/hang`,
      events: [{ name: 'user.created' }],
      apiId: API_ID,
    });
    receiver.respondWith(() => undefined);
    await publish({ name: 'user.created', resourceType: 'User' });
    const [attempt] = await waitUntil(async () => {
      const rows = await attemptsOf(webhook.id);
      return rows.length > 0 ? rows : undefined;
    });
    expect(attempt).toMatchObject({ success: false, status_code: null, error: 'timeout after 1000 ms' });
    await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ active: false })
      .expect(200);
  });

  it('410 Gone disables the webhook at once and publishes webhook.disabled', async () => {
    const watcher = await createHook({
      url: `${receiver.url}/watch`,
      events: [{ name: 'webhook.disabled' }],
    });
    const gone = await createHook({
      url: `${receiver.url}/gone`,
      events: [{ name: 'release.deprecated' }],
      apiId: API_ID,
    });
    receiver.respondWith((incoming, response) => {
      response.statusCode = incoming.url === '/gone' ? 410 : 200;
      response.end();
    });
    await publish({ name: 'release.deprecated', resourceType: 'Release' });
    const notice = await waitUntil(
      () => Promise.resolve(receiver.requests.find((r) => r.url === '/watch')),
      10_000,
      'webhook.disabled',
    );
    const event = JSON.parse(notice.body);
    expect(event).toMatchObject({
      name: 'webhook.disabled',
      resourceType: 'Webhook',
      ownerId: sub,
      resource: { id: gone.id, active: false, disabledReason: 'gone' },
    });
    expect(event.resource).not.toHaveProperty('secret');
    expect(notice.headers['webhook-id']).toBe(event.id);
    expect(watcher.id).not.toBe(gone.id);
    const fresh = await request(pipeline.api.http).get(`/webhooks/${gone.id}`).set(auth).expect(200);
    expect(fresh.body).toMatchObject({
      active: false,
      disabledReason: 'gone',
      lastDelivery: { success: false, statusCode: 410 },
    });
    expect(receiver.requests.filter((r) => r.url === '/gone')).toHaveLength(1);
  });

  it('records any bytes that come back (NUL, invalid UTF-8 become U+FFFD): a binary 410 still disables', async () => {
    const binary = await createHook({
      url: `${receiver.url}/binary`,
      events: [{ name: 'plan.created' }],
      apiId: API_ID,
    });
    receiver.respondWith((incoming, response) => {
      if (incoming.url !== '/binary') return response.end('OK');
      response.statusCode = 410;
      // A gzip header: NUL bytes and bytes that are not UTF-8.
      response.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0xff, 0x41]));
    });
    await publish({ name: 'plan.created', resourceType: 'Plan' });
    const fresh = await waitUntil(async () => {
      const response = await request(pipeline.api.http).get(`/webhooks/${binary.id}`).set(auth).expect(200);
      return response.body.active === false ? response.body : undefined;
    });
    expect(fresh).toMatchObject({
      disabledReason: 'gone',
      lastDelivery: { success: false, statusCode: 410, response: '\u001f\ufffd\u0008\ufffd\ufffd\ufffdA' },
    });
    const [{ n, attempts }] = await pipeline.dataSource.query(
      `SELECT count(*)::int AS n, max(d.attempts)::int AS attempts
         FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.webhook_id = $1`,
      [binary.id],
    );
    expect({ n, attempts }).toEqual({ n: 1, attempts: 1 });
    expect(receiver.requests.filter((r) => r.url === '/binary')).toHaveLength(1);
  });

  it('drops pending deliveries of a webhook deactivated or deleted meanwhile', async () => {
    const paused = await createHook({
      url: `${receiver.url}/paused`,
      events: [{ name: 'api.created' }],
      apiId: API_ID,
    });
    const deleted = await createHook({
      url: `${receiver.url}/deleted`,
      events: [{ name: 'api.created' }],
      apiId: API_ID,
    });
    receiver.respondWith((_request, response) => {
      response.statusCode = 500;
      response.end();
    });
    const id = await publish({ name: 'api.created' });
    await waitUntil(() =>
      Promise.resolve(
        receiver.requests.filter((r) => r.headers['webhook-id'] === id).length >= 2 || undefined,
      ),
    );
    await request(pipeline.api.http)
      .put(`/webhooks/${paused.id}`)
      .set(auth)
      .send({ active: false })
      .expect(200);
    await request(pipeline.api.http).delete(`/webhooks/${deleted.id}`).set(auth).expect(204);
    const seen = receiver.requests.filter((r) => r.url === '/paused' || r.url === '/deleted').length;
    // The paused webhook's next attempt is its final state: dropped, not sent.
    await waitUntil(async () => {
      const [row] = await pipeline.dataSource.query(
        'SELECT status FROM deliveries WHERE event_id = $1 AND webhook_id = $2',
        [id, paused.id],
      );
      return row?.status !== 'pending' || undefined;
    });
    expect(
      receiver.requests.filter((r) => r.url === '/paused' || r.url === '/deleted').length,
    ).toBeLessThanOrEqual(seen + 1);
    const rows = await pipeline.dataSource.query(
      'SELECT webhook_id, status FROM deliveries WHERE event_id = $1',
      [id],
    );
    expect(rows).toEqual(expect.arrayContaining([{ webhook_id: paused.id, status: 'dropped' }]));
    expect(rows.find((row: { webhook_id: string }) => row.webhook_id === deleted.id)).toBeUndefined();
  });
});
