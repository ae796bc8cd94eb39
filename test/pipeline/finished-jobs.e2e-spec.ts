import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { FINISHED_JOBS, QueueName, redisOptionsFromUrl } from '@app/queue';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import {
  createPipeline,
  eventsQueue,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

/**
 * Jobs whose producer set no retention (a publisher in another language, README → Publishing events) are cleaned up
 * by the consumers' fallback, the same policy our own producers set: Redis must not fill up.
 */
describe('Finished jobs from producers that set no retention (e2e)', () => {
  let pipeline: Pipeline;
  let events: Queue;
  let deliveries: Queue;
  const receiver = new HttpReceiver();
  const apiId = randomUUID();
  const auth = bearer(mintToken({ sub: `finished-${apiId}` }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('finished-jobs'));
    events = eventsQueue(pipeline.api.config);
    deliveries = new Queue(QueueName.Deliveries, {
      prefix: pipeline.api.config.queuePrefix,
      connection: redisOptionsFromUrl(pipeline.api.config.redisUrl),
    });
  });
  afterAll(async () => {
    await Promise.all([events.close(), deliveries.close()]);
    await pipeline.close();
    await receiver.stop();
  });

  it('a bare event job is kept as the publisher would keep it; a bare delivery job is removed when done', async () => {
    await request(pipeline.api.http)
      .post('/webhooks')
      .set(auth)
      .send({ url: `${receiver.url}/bare`, events: [{ name: 'api.created' }], apiId })
      .expect(201);
    const eventId = `bare-${randomUUID()}`;
    // As the README's Python example publishes: a job id and nothing else.
    await events.add(
      'api.created',
      {
        id: eventId,
        name: 'api.created',
        user: { id: 'u' },
        resourceType: 'Api',
        resource: { id: 'r' },
        apiId,
      },
      { jobId: eventId },
    );
    await receiver.waitFor(1);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);

    const eventJob = await events.getJob(eventId);
    expect(await eventJob?.getState()).toBe('completed');
    expect(eventJob?.opts.removeOnComplete).toBeUndefined();
    // Kept under the consumer's policy: what BullMQ trims by age and count, exactly the publisher's.
    expect(FINISHED_JOBS[QueueName.Events].removeOnComplete).toEqual({ age: 3600, count: 10_000 });

    const [{ id: deliveryId }] = await pipeline.dataSource.query(
      'SELECT id FROM deliveries WHERE event_id = $1',
      [eventId],
    );
    // A second job for the succeeded delivery, without options: claimed by nobody, completed, gone.
    const bare = await deliveries.add('deliver', { deliveryId }, { jobId: `bare.${deliveryId}` });
    await waitUntil(async () => (await deliveries.getJob(bare.id as string)) === undefined || undefined);
    expect(await deliveries.getJobCounts('completed')).toEqual({ completed: 0 });
    expect(receiver.requests).toHaveLength(1);
  });
});
