import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import request from 'supertest';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import { createPipeline, eventsQueue, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\u0000', '\ud800', '', ':', 'api.created', '__proto__', 'x'.repeat(300)),
);

/** Envelopes from a careless or hostile publisher: any shape, any text. */
const envelope = fc.record(
  {
    id: fc.oneof(hostile, fc.jsonValue({ maxDepth: 2 })),
    name: fc.oneof(fc.constantFrom('api.created', 'webhook.ping', 'nope'), hostile),
    timestamp: fc.oneof(hostile, fc.constant('2024-01-02T03:04:05Z')),
    user: fc.oneof(
      fc.record({ id: hostile, nickname: fc.oneof(hostile, fc.jsonValue({ maxDepth: 1 })) }),
      fc.jsonValue(),
    ),
    resourceType: fc.oneof(hostile, fc.constant('Api')),
    resource: fc.jsonValue({ maxDepth: 3 }),
    apiId: fc.oneof(hostile, fc.uuid()),
    ownerId: fc.oneof(hostile, fc.constant('prop-owner')),
  },
  { requiredKeys: [] },
);

/**
 * The generators of the API's property tests, fed to the pipeline: every envelope ends completed
 * or failed at once (never a transient retry, never a stuck worker), and every response body, any
 * bytes, is recorded with its attempt.
 */
describe('Generated hostile envelopes and response bodies through the pipeline (e2e, fast-check)', () => {
  let pipeline: Pipeline;
  let queue: Queue;
  let nextResponse: { status: number; body: Buffer } = { status: 200, body: Buffer.from('ok') };
  const receiver = new HttpReceiver((_incoming, response) => {
    response.statusCode = nextResponse.status;
    response.end(nextResponse.body);
  });
  const auth = bearer(mintToken({ sub: 'prop-owner' }));
  let webhookId: string;

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('pipeline-property', { DELIVERY_RETRY_SCHEDULE: '1h' }));
    queue = eventsQueue(pipeline.api.config);
    webhookId = (
      await request(pipeline.api.http)
        .post('/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}/prop`, events: [{ name: 'api.created' }] })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await queue.close();
    await pipeline.close();
    await receiver.stop();
  });

  it('every envelope is fanned out or failed at once, never retried as a transient error', async () => {
    await fc.assert(
      fc.asyncProperty(envelope, async (data) => {
        const name = typeof data.name === 'string' && data.name !== '' ? data.name : 'x';
        const job = await queue.add(name, data, { jobId: `prop.${randomUUID()}` });
        const state = await waitUntil(async () => {
          const current = await queue.getJobState(job.id as string);
          return current === 'completed' || current === 'failed' || current === 'delayed'
            ? current
            : undefined;
        });
        // Delayed would mean the worker took a bad envelope for a database or Redis outage.
        expect(state).not.toBe('delayed');
      }),
      { numRuns: 40 },
    );
  });

  it('every response body is recorded with its attempt, whatever the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom(200, 204, 400, 429, 500, 503),
        async (bytes, status) => {
          nextResponse = { status, body: Buffer.from(bytes) };
          const ping = await request(pipeline.api.http).post(`/webhooks/${webhookId}/ping`).set(auth);
          if (ping.status === 409) return; // switched off by an earlier case: nothing to send
          expect(ping.status).toBe(202);
          const [row] = await waitUntil(() =>
            pipeline.dataSource
              .query<Array<{ status_code: number; response: string }>>(
                'SELECT status_code, response FROM delivery_attempts WHERE event_id = $1',
                [ping.body.eventId],
              )
              .then((rows) => (rows.length > 0 ? rows : undefined)),
          );
          expect(row.status_code).toBe(status);
          expect(row.response.length).toBeLessThanOrEqual(1024);
          expect(row.response).not.toContain('\u0000');
        },
      ),
      { numRuns: 30 },
    );
  });
});
