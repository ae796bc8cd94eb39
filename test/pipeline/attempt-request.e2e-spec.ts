import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { maskUrl } from '@app/netguard';
import {
  bearer,
  createWebhook,
  HttpReceiver,
  mintToken,
  ReceivedRequest,
  verifyDelivery,
} from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

/** Headers the HTTP client adds to carry the request, not part of what the delivery sets. */
const TRANSPORT_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);
const KEY = 'k3yS3cretPathSegment0123456789';

/**
 * Pings, redeliveries, the delivery log → one attempt with its request: what the receiver got is
 * what GET /webhooks/{id}/deliveries/{attemptId} shows, custom header values redacted for everyone.
 */
describe('GET /webhooks/{id}/deliveries/{attemptId} (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const apiId = randomUUID();
  const sub = `attempt-request-${Date.now()}`;
  const auth = bearer(mintToken({ sub }));
  const readonly = bearer(mintToken({ sub, scope: 'webhook.readonly' }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('attempt-request'));
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const publish = () =>
    pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u' },
      resourceType: 'Api',
      resource: { id: apiId, name: 'Pets' },
      apiId,
    });
  /** Every webhook here gets every event: the request of one of them, known by its path. */
  const receivedFor = (eventId: string, path: string) =>
    waitUntil(() =>
      Promise.resolve(
        receiver.requests.find((r) => r.headers['webhook-id'] === eventId && r.url.split('?')[0] === path),
      ),
    );
  const detail = (webhookId: string, attemptId: string, as = auth) =>
    request(pipeline.api.http).get(`/webhooks/${webhookId}/deliveries/${attemptId}`).set(as);
  const createHook = (path: string, headers?: Record<string, string>) =>
    createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}${path}`,
      apiId,
      events: ['api.created'],
      headers,
    });
  /** Delivered and recorded: the received request and the attempt id it carried. */
  const delivered = async (webhookId: string, path: string) => {
    const received = await receivedFor(await publish(), path);
    const attemptId = received.headers['x-apitree-delivery'] as string;
    await waitUntil(async () => {
      const response = await detail(webhookId, attemptId);
      return response.status === 200 || undefined;
    });
    return { received, attemptId };
  };
  const sentHeaders = (received: ReceivedRequest) =>
    Object.fromEntries(Object.entries(received.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));
  const lowerCased = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

  it('shows the headers and body the receiver got, custom header values redacted, the URL masked', async () => {
    const webhook = await createHook(`/hooks?token=${KEY}`, {
      Authorization: 'Bearer abc123',
      'X-Team': 'platform',
    });
    const { received, attemptId } = await delivered(webhook.id, '/hooks');
    expect(verifyDelivery(webhook.secret, received)).toMatchObject({ name: 'api.created' });

    const response = await detail(webhook.id, attemptId).expect(200);
    const list = await request(pipeline.api.http)
      .get(`/webhooks/${webhook.id}/deliveries`)
      .set(auth)
      .expect(200);
    const listed = (list.body.items as Array<{ id: string }>).find((item) => item.id === attemptId);
    const { request: sent, ...attempt } = response.body;
    expect(attempt).toEqual(listed);
    expect(attempt).toMatchObject({ id: attemptId, success: true, statusCode: 200 });

    expect(sent.method).toBe('POST');
    expect(sent.url).toBe(maskUrl(`${receiver.url}/hooks?token=${KEY}`));
    expect(sent.url).not.toContain(KEY);
    expect(sent.body).toBe(received.body);
    expect(lowerCased(sent.headers)).toEqual({
      ...sentHeaders(received),
      authorization: '••••',
      'x-team': '••••',
    });
    expect(sent.headers['webhook-signature']).toBe(received.headers['webhook-signature']);
    expect(sent.headers['webhook-id']).toBe(received.headers['webhook-id']);
    expect(sent.headers['x-apitree-delivery']).toBe(attemptId);
    expect(JSON.stringify(response.body)).not.toContain('abc123');

    // webhook.readonly sees the same request (nothing in it is a credential any more).
    const asReadonly = await detail(webhook.id, attemptId, readonly).expect(200);
    expect(asReadonly.body.request).toEqual(sent);
  });

  it('records a redelivery with its own attempt id and a fresh signature, and a ping', async () => {
    const webhook = await createHook('/redelivered');
    const { attemptId } = await delivered(webhook.id, '/redelivered');
    const before = receiver.requests.length;
    await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/deliveries/${attemptId}/redeliver`)
      .set(auth)
      .expect(202);
    const again = await waitUntil(() =>
      Promise.resolve(receiver.requests.slice(before).find((r) => r.url === '/redelivered')),
    );
    const redeliveryId = again.headers['x-apitree-delivery'] as string;
    const shown = await waitUntil(async () => {
      const response = await detail(webhook.id, redeliveryId);
      return response.status === 200
        ? (response.body as { request: { headers: object; body: string } })
        : undefined;
    });
    expect(shown.request.headers).toEqual(sentHeaders(again));
    expect(shown.request.body).toBe(again.body);

    // A ping is recorded the same way.
    const pinged = await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/ping`)
      .set(auth)
      .expect(202);
    const ping = await receivedFor(pinged.body.eventId as string, '/redelivered');
    const pingShown = await waitUntil(async () => {
      const response = await detail(webhook.id, ping.headers['x-apitree-delivery'] as string);
      return response.status === 200
        ? (response.body as { request: { headers: object; body: string } })
        : undefined;
    });
    expect(pingShown.request.headers).toMatchObject({ 'x-apitree-event': 'webhook.ping' });
    expect(pingShown.request.headers).toEqual(sentHeaders(ping));
    expect(pingShown.request.body).toBe(ping.body);
  });

  it('answers attempts recorded before requests were: headers and URL null, the event body', async () => {
    const webhook = await createHook('/older');
    const { received, attemptId } = await delivered(webhook.id, '/older');
    const [row] = await pipeline.dataSource.query<Array<{ delivery_id: string; event_id: string }>>(
      'SELECT delivery_id, event_id FROM delivery_attempts WHERE id = $1',
      [attemptId],
    );
    const older = randomUUID();
    const rendered = randomUUID();
    await pipeline.dataSource.query(
      `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
         status_code, response, duration_ms, request_body)
       VALUES ($1, $3, $4, $5, 'api.created', 90, true, 200, 'OK', 5, NULL),
              ($2, $3, $4, $5, 'api.created', 91, true, 200, 'OK', 5, '{"text":"rendered"}')`,
      [older, rendered, row.delivery_id, webhook.id, row.event_id],
    );
    const old = await detail(webhook.id, older).expect(200);
    expect(old.body.request).toEqual({ method: 'POST', url: null, headers: null, body: received.body });
    // A body recorded because it was not the event's (a Slack rendering) is the one shown.
    const slack = await detail(webhook.id, rendered).expect(200);
    expect(slack.body.request.body).toBe('{"text":"rendered"}');
  });

  it('is 404 for unknown, foreign and malformed ids, never 500', async () => {
    const webhook = await createHook('/one');
    const other = await createHook('/two');
    const { attemptId } = await delivered(webhook.id, '/one');
    const notFound = (message: string) => ({ code: 404, message });

    await detail(webhook.id, randomUUID()).expect(404, notFound('Delivery not found'));
    await detail(other.id, attemptId).expect(404, notFound('Delivery not found'));
    await detail(webhook.id, 'not-a-uuid').expect(404, notFound('Delivery not found'));
    await detail(webhook.id, `${attemptId}'--`).expect(404, notFound('Delivery not found'));
    await detail('not-a-uuid', attemptId).expect(404, notFound('Webhook not found'));
    await detail(webhook.id, attemptId, bearer(mintToken({ sub: `${sub}-stranger` }))).expect(
      404,
      notFound('Webhook not found'),
    );
  });
});
