import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import type { EventEnvelope } from '@app/events';
import { bearer, HttpReceiver, mintToken, ReceivedRequest } from '@app/testing';
import {
  createPipeline,
  eventsQueue,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

const ROOT = join(__dirname, '..', '..');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Envelopes from any publisher on the events queue (e2e)', () => {
  let pipeline: Pipeline;
  let queue: Queue;
  const receiver = new HttpReceiver();
  // A fresh API id: other test files share the database, never this API's subscribers.
  const apiId = randomUUID();

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('envelopes'));
    queue = eventsQueue(pipeline.api.config);
    await request(pipeline.api.http)
      .post('/webhooks')
      .set(bearer(mintToken({ sub: `raw-${Date.now()}` })))
      .send({
        url: `${receiver.url}/hook`,
        apiId,
        events: ['api.created', 'api.updated', 'plan.created', 'release.created', 'user.created'].map(
          (name) => ({ name }),
        ),
      })
      .expect(201);
  });
  afterAll(async () => {
    await queue.close();
    await pipeline.close();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  const envelope = (overrides: Record<string, unknown> = {}) => ({
    name: 'api.created',
    user: { id: 'u-1', nickname: 'bob' },
    resourceType: 'Api',
    resource: { id: apiId, marker: randomUUID() },
    apiId,
    ...overrides,
  });
  const deliveryOf = (match: (received: ReceivedRequest) => boolean, what: string) =>
    waitUntil(() => Promise.resolve(receiver.requests.find(match)), 10_000, what);
  const withId = (id: string) => (received: ReceivedRequest) => received.headers['webhook-id'] === id;

  describe('invalid envelopes are failed at once, with the reason, without retries', () => {
    const failedIds: string[] = [];
    const cases: Array<[string, string, object, string]> = [
      ['an unknown event name', 'api.exploded', envelope({ name: 'api.exploded' }), 'unknown event name'],
      ['a missing user.id', 'api.created', envelope({ user: { nickname: 'bob' } }), 'user.id'],
      ['neither apiId nor ownerId', 'api.created', envelope({ apiId: undefined }), 'apiId or ownerId'],
      [
        'a resource over 256 KiB',
        'api.created',
        envelope({ resource: 'x'.repeat(256 * 1024) }),
        'larger than 256 KiB',
      ],
      ['a job name other than the event name', 'api.updated', envelope(), 'does not match event name'],
      // The id is every delivery's webhook-id header: refused here, not failed at every attempt.
      ['an id with CR LF', 'api.created', envelope({ id: 'evt\r\n1' }), 'visible ASCII'],
      ['an id with DEL', 'api.created', envelope({ id: 'evt\u007f' }), 'visible ASCII'],
      ['an id outside Latin-1', 'api.created', envelope({ id: 'évènement-\u4e8b' }), 'visible ASCII'],
      ['an id with a trailing space', 'api.created', envelope({ id: 'evt-1 ' }), 'visible ASCII'],
      // Refused rather than delivered altered (as 1 March, or as a six-digit year).
      ['30 February', 'api.created', envelope({ timestamp: '2024-02-30T00:00Z' }), 'real calendar date'],
      [
        'a year beyond 9999 once in UTC',
        'api.created',
        envelope({ timestamp: '9999-12-31T23:30:00-01:00' }),
        'years 1 to 9999',
      ],
      [
        'a 1 MB user.id',
        'api.created',
        envelope({ user: { id: 'u'.repeat(1024 * 1024) } }),
        'larger than 264 KiB',
      ],
      [
        'a 300-character resourceType',
        'api.created',
        envelope({ resourceType: 'R'.repeat(300) }),
        'at most 255',
      ],
    ];

    it.each(cases)('%s', async (_what, jobName, data, reason) => {
      // Even a publisher asking for retries gets none: the envelope will never become valid.
      const added = await queue.add(jobName, data, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
      const jobId = added.id as string;
      failedIds.push(jobId);
      const job = await waitUntil(
        // State first, then the job: read the other way round, the job may predate its failure.
        async () => ((await queue.getJobState(jobId)) === 'failed' ? queue.getJob(jobId) : undefined),
        10_000,
        `job ${jobId} failed`,
      );
      expect(job.failedReason).toContain('invalid envelope: ');
      expect(job.failedReason).toContain(reason);
      expect(job.attemptsMade).toBe(1);
      // Failed with attempts left (3 asked for) is final only for an unrecoverable failure: BullMQ
      // would have moved a retryable one to delayed instead.
      expect(job.opts.attempts).toBe(3);
      expect(job.finishedOn).toEqual(expect.any(Number));
    });

    it('they stay in the failed set and the worker keeps delivering valid events', async () => {
      const failed = await queue.getFailed();
      expect(failed.map((job) => job.id)).toEqual(expect.arrayContaining(failedIds));
      expect(failedIds).toHaveLength(cases.length);
      const added = await queue.add(
        'release.created',
        envelope({ name: 'release.created', resourceType: 'Release' }),
      );
      const received = await deliveryOf(
        (r) => r.headers['x-apitree-event'] === 'release.created',
        'delivery',
      );
      expect(JSON.parse(received.body)).toMatchObject({ name: 'release.created', apiId });
      await waitUntil(async () => (await queue.getJobState(added.id as string)) === 'completed');
      // None of the invalid ones was delivered.
      expect(receiver.requests).toHaveLength(1);
    });
  });

  it('an envelope without id gets a generated UUID, stored in the job data', async () => {
    const data = envelope({ name: 'api.updated' });
    const added = await queue.add('api.updated', data);
    const received = await deliveryOf((r) => r.body.includes(data.resource.marker), 'delivery');
    const eventId = received.headers['webhook-id'] as string;
    expect(eventId).toMatch(UUID_V4);
    expect(JSON.parse(received.body)).toMatchObject({
      id: eventId,
      name: 'api.updated',
      resource: data.resource,
    });
    const job = await queue.getJob(added.id as string);
    expect(job?.id).not.toBe(eventId);
    expect(job?.data.id).toBe(eventId);
  });

  it('an envelope with id: the job id and the webhook-id are that id', async () => {
    const id = `evt-${randomUUID()}`;
    const timestamp = '2024-05-06T07:08:09.000Z';
    expect(
      await pipeline.publisher.publish(
        envelope({ id, timestamp, name: 'plan.created', resourceType: 'Plan' }) as EventEnvelope,
      ),
    ).toBe(id);
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ id, name: 'plan.created', data: { id, name: 'plan.created', timestamp } });
    const received = await deliveryOf(withId(id), 'delivery');
    expect(JSON.parse(received.body)).toMatchObject({ id, name: 'plan.created', timestamp });
  });

  it('as delivered: the timestamp in UTC with millisecond precision, numbers as IEEE-754 doubles', async () => {
    // As another language's client writes the job data (README → Publishing events): written into the
    // job hash while the job is delayed, then promoted.
    const marker = randomUUID();
    const data =
      `{"name":"api.created","timestamp":"2024-01-02T05:30:00.123456789+05:30","user":{"id":"u-1"},` +
      `"resourceType":"Api","resource":{"marker":"${marker}","tiny":1e-400,"negativeZero":-0,` +
      `"big":9007199254740993,"fraction":0.1},"apiId":"${apiId}"}`;
    const job = await queue.add('api.created', { placeholder: true }, { delay: 60_000 });
    await (await queue.getBackend().client).hset(queue.toKey(job.id as string), { data });
    await job.promote();
    const received = await deliveryOf((r) => r.body.includes(marker), 'delivery');
    expect(received.body).toContain('"timestamp":"2024-01-02T00:00:00.123Z"');
    expect(received.body).toContain(
      `"resource":{"marker":"${marker}","tiny":0,"negativeZero":0,"big":9007199254740992,"fraction":0.1}`,
    );
  });

  it('the same id published twice as raw jobs with that job id is delivered once', async () => {
    const id = `evt-${randomUUID()}`;
    const data = envelope({ id, name: 'user.created', resourceType: 'User' });
    const first = await queue.add('user.created', data, { jobId: id });
    const second = await queue.add('user.created', data, { jobId: id });
    expect([first.id, second.id]).toEqual([id, id]);
    await deliveryOf(withId(id), 'delivery');
    await waitUntil(async () => (await queue.getJobState(id)) === 'completed');
    await queue.add('user.created', data, { jobId: id }); // after completion too
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(receiver.requests.filter(withId(id))).toHaveLength(1);
    const [{ n }] = await pipeline.dataSource.query(
      'SELECT count(*)::int AS n FROM deliveries WHERE event_id = $1',
      [id],
    );
    expect(n).toBe(1);
  });

  it('an id BullMQ has forgotten is still remembered: other content fails as a duplicate, same content delivers nothing more', async () => {
    const otherApi = randomUUID();
    await request(pipeline.api.http)
      .post('/webhooks')
      .set(bearer(mintToken({ sub: `tenant-b-${Date.now()}` })))
      .send({ url: `${receiver.url}/tenant-b`, apiId: otherApi, events: [{ name: 'api.created' }] })
      .expect(201);
    const id = `evt-${randomUUID()}`;
    const original = envelope({ id, resource: { secret: 'tenant A only' } });
    await queue.add('api.created', original, { jobId: id });
    await deliveryOf(withId(id), 'delivery to tenant A');
    await waitUntil(async () => (await queue.getJobState(id)) === 'completed');
    // What removeOnComplete (or an operator) does: the job id is free again in BullMQ.
    await queue.remove(id);

    const forged = await queue.add(
      'api.created',
      { ...original, apiId: otherApi, resource: { other: true } },
      { jobId: id },
    );
    const failed = await waitUntil(async () => {
      const job = await queue.getJob(forged.id as string);
      return job && (await job.getState()) === 'failed' ? job : undefined;
    });
    expect(failed.failedReason).toBe('duplicate event id');
    expect(failed.attemptsMade).toBe(1);
    await queue.remove(id);

    await queue.add('api.created', original, { jobId: id });
    await waitUntil(async () => (await queue.getJobState(id)) === 'completed');
    expect(receiver.requests.filter(withId(id)).map((r) => r.url)).toEqual(['/hook']);
    const [{ n }] = await pipeline.dataSource.query(
      'SELECT count(*)::int AS n FROM deliveries WHERE event_id = $1',
      [id],
    );
    expect(n).toBe(1);
  });

  describe('npm run publish-event', () => {
    const cli = (args: string[]) =>
      spawnSync('npx', ['tsx', 'apps/cli/src/publish-event.ts', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          REDIS_URL: pipeline.api.config.redisUrl,
          QUEUE_PREFIX: pipeline.api.config.queuePrefix,
          LOG_LEVEL: 'silent',
        },
      });
    const published = (stdout: string): string => {
      const line = JSON.parse(stdout.trim().split('\n').pop() as string);
      expect(line).toEqual({
        published: expect.any(String),
        queue: 'events',
        prefix: pipeline.api.config.queuePrefix,
      });
      return line.published;
    };

    it('publishes from flags', async () => {
      const marker = randomUUID();
      const result = cli([
        '--name', 'api.created',
        '--user-id', '10123',
        '--nickname', 'ann',
        '--resource-type', 'Api',
        '--resource', JSON.stringify({ id: apiId, marker }),
        '--api-id', apiId,
      ]); // prettier-ignore
      expect(result.stderr).not.toContain('invalid envelope');
      expect(result.status).toBe(0);
      const id = published(result.stdout);
      expect(id).toMatch(UUID_V4);
      const received = await deliveryOf(withId(id), 'delivery');
      expect(JSON.parse(received.body)).toEqual({
        id,
        name: 'api.created',
        timestamp: expect.any(String),
        user: { id: '10123', nickname: 'ann' },
        resourceType: 'Api',
        resource: { id: apiId, marker },
        apiId,
      });
    });

    it('publishes FILE.json', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'publish-event-'));
      try {
        const id = `evt-${randomUUID()}`;
        const file = join(dir, 'event.json');
        writeFileSync(file, JSON.stringify(envelope({ id, name: 'plan.created', resourceType: 'Plan' })));
        const result = cli([file]);
        expect(result.status).toBe(0);
        expect(published(result.stdout)).toBe(id);
        const received = await deliveryOf(withId(id), 'delivery');
        expect(JSON.parse(received.body)).toMatchObject({ id, name: 'plan.created', resourceType: 'Plan' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('exits 2 with "invalid envelope" and publishes nothing for an invalid envelope', async () => {
      // All states summed: a job of an earlier test may still move from active to completed.
      const jobs = async () =>
        Object.values(await queue.getJobCounts()).reduce((sum, count) => sum + count, 0);
      const before = await jobs();
      const unknown = cli([
        '--name',
        'api.exploded',
        '--user-id',
        'u',
        '--resource-type',
        'Api',
        '--api-id',
        apiId,
      ]);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain('invalid envelope: unknown event name');
      expect(unknown.stdout).toBe('');
      const noTarget = cli(['--name', 'api.created', '--user-id', 'u', '--resource-type', 'Api']);
      expect(noTarget.status).toBe(2);
      expect(noTarget.stderr).toContain('invalid envelope: one of apiId or ownerId is required');
      expect(await jobs()).toBe(before);
    });
  });
});
