import request from 'supertest';
import { bearer, createWebhook, HttpReceiver, mintToken, verifyDelivery } from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

const API_ID = '3d1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('Ping, redelivery and secret rotation through the worker (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const sub = `actions-${Date.now()}`;
  const auth = bearer(mintToken({ sub, nickname: 'ann' }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('actions'));
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const createHook = (path: string, events: string[]) =>
    createWebhook(pipeline.api.http, auth, { url: `${receiver.url}${path}`, events, apiId: API_ID });

  const requestsTo = (path: string) => receiver.requests.filter((r) => r.url === path);

  it('ping delivers a signed webhook.ping to that webhook alone, whatever it subscribes to', async () => {
    const webhook = await createHook('/ping-me', ['plan.created']);
    const other = await createHook('/not-me', ['plan.created']);
    const response = await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/ping`)
      .set(auth)
      .expect(202);
    const received = await waitUntil(() => Promise.resolve(requestsTo('/ping-me')[0]));
    expect(received.headers['webhook-id']).toBe(response.body.eventId);
    expect(received.headers['x-apitree-event']).toBe('webhook.ping');
    expect(verifyDelivery(webhook.secret, received)).toMatchObject({
      id: response.body.eventId,
      name: 'webhook.ping',
      user: { id: sub, nickname: 'ann' },
      resourceType: 'Webhook',
      resource: { id: webhook.id },
      ownerId: sub,
    });
    expect(JSON.parse(received.body).resource).not.toHaveProperty('secret');
    expect(requestsTo('/not-me')).toHaveLength(0);
    expect(other.id).not.toBe(webhook.id);
  });

  it('redelivery sends the same event again with the same webhook-id as one extra attempt', async () => {
    const webhook = await createHook('/again', ['api.created']);
    const id = await pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u' },
      resourceType: 'Api',
      resource: { id: API_ID },
      apiId: API_ID,
    });
    await waitUntil(() => Promise.resolve(requestsTo('/again')[0]));
    const log = await waitUntil(async () => {
      const response = await request(pipeline.api.http)
        .get(`/webhooks/${webhook.id}/deliveries`)
        .set(auth)
        .expect(200);
      return response.body.items.length === 1 ? response.body.items : undefined;
    });
    await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/deliveries/${log[0].id}/redeliver`)
      .set(auth)
      .expect(202);
    await waitUntil(() => Promise.resolve(requestsTo('/again').length >= 2 || undefined));
    const [first, second] = requestsTo('/again');
    expect(second.headers['webhook-id']).toBe(id);
    expect(second.body).toBe(first.body);
    expect(second.headers['x-apitree-delivery']).not.toBe(first.headers['x-apitree-delivery']);
    expect(verifyDelivery(webhook.secret, second)).toMatchObject({ id, name: 'api.created' });
    const items = await waitUntil(async () => {
      const response = await request(pipeline.api.http)
        .get(`/webhooks/${webhook.id}/deliveries`)
        .set(auth)
        .expect(200);
      return response.body.items.length === 2 ? response.body.items : undefined;
    });
    expect(items.map((item: { attempt: number; eventId: string }) => [item.attempt, item.eventId])).toEqual([
      [2, id],
      [1, id],
    ]);
  });

  it('a redelivery racing a scheduled attempt keeps its lease; every attempt gets its own number', async () => {
    const webhook = await createHook('/lease', ['api.created']);
    let releaseScheduled: () => void = () => undefined;
    const scheduledHeld = new Promise<void>((resolve) => {
      receiver.respondWith((received, response) => {
        if (received.url !== '/lease') return response.end('OK');
        const seen = requestsTo('/lease').length;
        if (seen === 1) return response.writeHead(500).end('first fails');
        if (seen === 2) {
          // The scheduled retry: held open until the manual attempt has been recorded.
          releaseScheduled = () => response.end('late OK');
          return resolve();
        }
        response.end('manual OK');
      });
    });
    try {
      await pipeline.publisher.publish({
        name: 'api.created',
        user: { id: 'u' },
        resourceType: 'Api',
        resource: { id: API_ID },
        apiId: API_ID,
      });
      await scheduledHeld;
      const [first] = (
        await request(pipeline.api.http).get(`/webhooks/${webhook.id}/deliveries`).set(auth).expect(200)
      ).body.items as Array<{ id: string }>;
      await request(pipeline.api.http)
        .post(`/webhooks/${webhook.id}/deliveries/${first.id}/redeliver`)
        .set(auth)
        .expect(202);
      const leaseAfterManual = await waitUntil(async () => {
        const [row] = await pipeline.dataSource.query<Array<{ attempts: number; locked: boolean }>>(
          `SELECT attempts, locked_until > now() AS locked FROM deliveries WHERE webhook_id = $1`,
          [webhook.id],
        );
        return row.attempts === 2 ? row : undefined;
      });
      // The scheduled attempt is still sending: its lease must still hold.
      expect(leaseAfterManual.locked).toBe(true);
      releaseScheduled();
      const rows = await waitUntil(async () => {
        const found = await pipeline.dataSource.query<Array<{ attempt: number; response: string }>>(
          `SELECT attempt, response FROM delivery_attempts WHERE webhook_id = $1 ORDER BY attempt`,
          [webhook.id],
        );
        return found.length === 3 ? found : undefined;
      });
      expect(rows.map((row) => [row.attempt, row.response])).toEqual([
        [1, 'first fails'],
        [2, 'manual OK'],
        [3, 'late OK'],
      ]);
      const [delivery] = await pipeline.dataSource.query<
        Array<{ status: string; locked_until: Date | null }>
      >(`SELECT status, locked_until FROM deliveries WHERE webhook_id = $1`, [webhook.id]);
      expect(delivery).toEqual({ status: 'succeeded', locked_until: null });
      expect(requestsTo('/lease')).toHaveLength(3);
    } finally {
      releaseScheduled();
      receiver.respondWith((_request, response) => response.end('OK'));
    }
  });

  it('after rotation both secrets sign: a receiver holding either verifies', async () => {
    const webhook = await createHook('/rotated', ['release.created']);
    const rotated = await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/secret`)
      .set(auth)
      .expect(200);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    await pipeline.publisher.publish({
      name: 'release.created',
      user: { id: 'u' },
      resourceType: 'Release',
      resource: {},
      apiId: API_ID,
    });
    const received = await waitUntil(() => Promise.resolve(requestsTo('/rotated')[0]));
    expect((received.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(verifyDelivery(webhook.secret, received)).toMatchObject({ name: 'release.created' });
    expect(verifyDelivery(rotated.body.secret, received)).toMatchObject({ name: 'release.created' });
  });

  it('once the overlap is over only the new secret signs', async () => {
    const webhook = await createHook('/expired', ['release.released']);
    const rotated = await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/secret`)
      .set(auth)
      .expect(200);
    await pipeline.dataSource.query(
      `UPDATE webhooks SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [webhook.id],
    );
    await pipeline.publisher.publish({
      name: 'release.released',
      user: { id: 'u' },
      resourceType: 'Release',
      resource: {},
      apiId: API_ID,
    });
    const received = await waitUntil(() => Promise.resolve(requestsTo('/expired')[0]));
    expect((received.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
    expect(verifyDelivery(rotated.body.secret, received)).toMatchObject({ name: 'release.released' });
    expect(() => verifyDelivery(webhook.secret, received)).toThrow();
  });
});
