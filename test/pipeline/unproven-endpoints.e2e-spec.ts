import request from 'supertest';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import {
  createPipeline,
  ownerEvent,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

/** Six attempts per delivery for an endpoint that has succeeded before. */
const FULL_SCHEDULE = '200ms,200ms,200ms,200ms,200ms';

/** With a window of 400 ms, an endpoint that has never succeeded gets the first two retries: 3 attempts. */
const UNPROVEN_WINDOW = '400ms';

describe('Endpoints that have never succeeded get the retries of DELIVERY_UNPROVEN_RETRY_WINDOW (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const owner = `unproven-${Date.now()}`;
  const auth = bearer(mintToken({ sub: owner }));

  beforeAll(async () => {
    await receiver.start();
    // Five days to disabling, as by default: only the retry rules end these deliveries. A deadline
    // long enough for the URL to change while /slow holds its answer.
    pipeline = await createPipeline(
      pipelineEnv('unproven', {
        DELIVERY_RETRY_SCHEDULE: FULL_SCHEDULE,
        DELIVERY_UNPROVEN_RETRY_WINDOW: UNPROVEN_WINDOW,
        DELIVERY_TIMEOUT: '5s',
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const createHook = (path: string) =>
    createWebhook(pipeline.api.http, auth, { url: `${receiver.url}${path}` });

  /** Publishes one event and waits until every delivery of it is done; attempts per webhook. */
  const deliver = async (): Promise<Map<string, { status: string; attempts: number }>> => {
    const eventId = await pipeline.publisher.publish(ownerEvent(owner));
    const rows = await waitUntil(async () => {
      const found = await pipeline.dataSource.query<
        Array<{ webhook_id: string; status: string; attempts: number }>
      >('SELECT webhook_id, status, attempts FROM deliveries WHERE event_id = $1', [eventId]);
      return found.length > 0 && found.every((row) => row.status !== 'pending') ? found : undefined;
    });
    // Nothing more is due anywhere: the counts are final.
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    return new Map(rows.map((row) => [row.webhook_id, { status: row.status, attempts: row.attempts }]));
  };
  const firstSuccessAt = async (webhookId: string) =>
    (
      await pipeline.dataSource.query<Array<{ first_success_at: Date | null }>>(
        'SELECT first_success_at FROM webhooks WHERE id = $1',
        [webhookId],
      )
    )[0].first_success_at;

  it('a never-succeeded endpoint gets exactly 3 attempts per event (those of its window); one that succeeded once, the whole schedule; a new URL starts over', async () => {
    const typo = await createHook('/typo');
    const proven = await createHook('/proven');
    let provenAnswered = false;
    receiver.respondWith((incoming, response) => {
      // /proven answers 2xx once, then fails like the others.
      response.statusCode = incoming.url === '/proven' && !provenAnswered ? 200 : 500;
      if (incoming.url === '/proven') provenAnswered = true;
      response.end();
    });

    const first = await deliver();
    expect(first.get(typo.id)).toEqual({ status: 'failed', attempts: 3 });
    expect(first.get(proven.id)).toEqual({ status: 'succeeded', attempts: 1 });
    expect(await firstSuccessAt(typo.id)).toBeNull();
    expect(await firstSuccessAt(proven.id)).toEqual(expect.any(Date));

    const second = await deliver();
    expect(second.get(typo.id)).toEqual({ status: 'failed', attempts: 3 });
    expect(second.get(proven.id)).toEqual({ status: 'failed', attempts: 6 });
    expect(receiver.requests.filter((r) => r.url === '/typo')).toHaveLength(6);

    await request(pipeline.api.http)
      .put(`/webhooks/${proven.id}`)
      .set(auth)
      .send({ url: `${receiver.url}/moved` })
      .expect(200);
    expect(await firstSuccessAt(proven.id)).toBeNull();
    const third = await deliver();
    expect(third.get(proven.id)).toEqual({ status: 'failed', attempts: 3 });
    expect(receiver.requests.filter((r) => r.url === '/moved')).toHaveLength(3);
  });

  it('an answer from the old URL that arrives after the URL changed proves nothing about the new one', async () => {
    const webhook = await createHook('/slow');
    let answer: (() => void) | undefined;
    receiver.respondWith((incoming, response) => {
      // /slow holds its 200 until the URL has been changed under the attempt.
      if (incoming.url !== '/slow') return void response.writeHead(500).end();
      answer = () => response.writeHead(200).end();
    });
    const eventId = await pipeline.publisher.publish(ownerEvent(owner));
    await waitUntil(() => Promise.resolve(answer !== undefined), 10_000, 'the attempt at /slow');
    await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ url: `${receiver.url}/victim` })
      .expect(200);
    answer?.();
    await waitUntil(async () => {
      const [row] = await pipeline.dataSource.query<Array<{ status: string }>>(
        'SELECT status FROM deliveries WHERE event_id = $1 AND webhook_id = $2',
        [eventId, webhook.id],
      );
      return row?.status === 'succeeded';
    });
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(await firstSuccessAt(webhook.id)).toBeNull();
    const next = await deliver();
    expect(next.get(webhook.id)).toEqual({ status: 'failed', attempts: 3 });
    expect(receiver.requests.filter((r) => r.url === '/victim')).toHaveLength(3);
  });
});
