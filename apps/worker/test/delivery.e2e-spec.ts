import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

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

  const createWebhook = async (body: object) =>
    (await request(pipeline.api.http).post('/webhooks').set(auth).send(body).expect(201)).body as {
      id: string;
      secret: string;
    };

  it('delivers a published event signed per Standard Webhooks and records the attempt', async () => {
    const webhook = await createWebhook({ url: `${receiver.url}/hook`, events: [{ name: 'api.created' }], apiId: API_ID });
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
    const [attempt] = await pipeline.dataSource.query('SELECT * FROM delivery_attempts WHERE webhook_id = $1', [webhook.id]);
    expect(attempt).toMatchObject({ attempt: 1, success: true, status_code: 200, event_id: id, event_name: 'api.created' });
    expect(received.headers['x-apitree-delivery']).toBe(attempt.id);
  });
});
