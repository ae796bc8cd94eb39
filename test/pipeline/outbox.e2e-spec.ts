import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { WebhookEntity } from '@app/database';
import { OutboxRelay, recordWebhookEvent } from '@app/outbox';
import {
  bearer,
  createWebhook,
  createTestDatabase,
  dropTestDatabase,
  HttpReceiver,
  mintToken,
  ReceivedRequest,
  PrivateRedis,
  WebhookFields,
} from '@app/testing';
import {
  createPipeline,
  createPipelineApi,
  TestApi,
  createTestWorker,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  TestWorker,
  waitUntil,
} from './helpers/pipeline';

const LIFECYCLE = ['webhook.created', 'webhook.updated', 'webhook.deleted'].map((name) => ({ name }));
const withoutSecret = ({ secret: _secret, ...rest }: Record<string, unknown>) => rest;

interface LifecycleEvent {
  id: string;
  name: string;
  ownerId?: string;
  resource: { id: string; url: string };
  [field: string]: unknown;
}

/** Lifecycle events one receiver path got, parsed. */
function eventsAt(receiver: HttpReceiver, path: string): Array<LifecycleEvent & { webhookId: string }> {
  return receiver.requests
    .filter((received: ReceivedRequest) => received.url === path)
    .map((received) => ({ ...JSON.parse(received.body), webhookId: received.headers['webhook-id'] }));
}

async function awaitEvent(
  receiver: HttpReceiver,
  path: string,
  name: string,
  resourceId: string,
  ms = 10_000,
) {
  return waitUntil(
    () =>
      Promise.resolve(eventsAt(receiver, path).find((e) => e.name === name && e.resource.id === resourceId)),
    ms,
    `${name} for ${resourceId} at ${path}`,
  );
}

/*
 * This file has its own databases: the outbox table is shared by every relay on a database, so on
 * the run's shared database another file's API or worker could relay (and, shutting down, strand)
 * these events, or relay the outage event below before Redis is back.
 */
describe('Lifecycle events through the transactional outbox (e2e)', () => {
  let databaseUrl: string;
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const owner = `owner-${randomUUID()}`;
  const auth = bearer(mintToken({ sub: owner, nickname: 'ann' }));

  beforeAll(async () => {
    await receiver.start();
    databaseUrl = await createTestDatabase();
    pipeline = await createPipeline(
      pipelineEnv('outbox', { DATABASE_URL: databaseUrl, WEBHOOK_LIMIT_PER_USER: '3' }),
    );
  });
  afterAll(async () => {
    await pipeline?.close();
    await receiver.stop();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  const create = (authorization: { Authorization: string }, fields: WebhookFields) =>
    createWebhook(pipeline.api.http, authorization, fields);
  const outboxRows = (field: 'id' | 'url', value: string): Promise<unknown[]> =>
    pipeline.dataSource.query(`SELECT id FROM event_outbox WHERE envelope->'resource'->>'${field}' = $1`, [
      value,
    ]);

  describe('webhooks of the same owner are told about changes', () => {
    const stranger = `stranger-${randomUUID()}`;
    let watcher: { id: string };
    let strangers: { id: string };
    let target: Record<string, unknown> & { id: string };

    beforeAll(async () => {
      watcher = await create(auth, { url: `${receiver.url}/watch`, events: LIFECYCLE });
      strangers = await create(bearer(mintToken({ sub: stranger })), {
        url: `${receiver.url}/stranger`,
        events: [{ name: 'webhook.created' }],
      });
    });

    it('webhook.created and webhook.updated: the webhook without secret, the owner, the caller', async () => {
      // A watcher hears about its own creation: it is subscribed by the time the event fans out.
      await awaitEvent(receiver, '/watch', 'webhook.created', watcher.id);
      target = await create(auth, {
        url: `${receiver.url}/target`,
        events: [{ name: 'api.created' }],
        custom: '{"team":"pets"}',
      });
      const created = await awaitEvent(receiver, '/watch', 'webhook.created', target.id);
      const { webhookId, ...event } = created;
      expect(event).toEqual({
        id: webhookId,
        name: 'webhook.created',
        timestamp: expect.any(String),
        user: { id: owner, nickname: 'ann' },
        resourceType: 'Webhook',
        resource: withoutSecret(target),
        ownerId: owner,
      });
      expect(target.secret).toMatch(/^whsec_/);
      expect(JSON.stringify(event)).not.toContain(target.secret as string);

      const updated = (
        await request(pipeline.api.http)
          .put(`/webhooks/${target.id}`)
          .set(auth)
          .send({ url: `${receiver.url}/target-2`, active: false })
          .expect(200)
      ).body;
      const update = await awaitEvent(receiver, '/watch', 'webhook.updated', target.id);
      expect(update).toMatchObject({ name: 'webhook.updated', user: { id: owner }, ownerId: owner });
      expect(update.resource).toEqual(withoutSecret(updated));
      expect(update.resource).toMatchObject({ url: `${receiver.url}/target-2`, active: false });
      expect(update.id).not.toBe(created.id);
    });

    it('nobody else hears about them', async () => {
      // The stranger's webhook hears only about itself.
      await awaitEvent(receiver, '/stranger', 'webhook.created', strangers.id);
      await waitForQuiet(pipeline.dataSource, pipeline.api.config);
      expect(eventsAt(receiver, '/stranger').map((e) => [e.ownerId, e.resource.id])).toEqual([
        [stranger, strangers.id],
      ]);
      expect(eventsAt(receiver, '/target').concat(eventsAt(receiver, '/target-2'))).toEqual([]);
    });

    it('webhook.deleted: the webhook as it was, to the owner only', async () => {
      await request(pipeline.api.http).delete(`/webhooks/${target.id}`).set(auth).expect(204);
      const deleted = await awaitEvent(receiver, '/watch', 'webhook.deleted', target.id, 3_000);
      expect(deleted).toMatchObject({ user: { id: owner }, ownerId: owner, resourceType: 'Webhook' });
      expect(deleted.resource).not.toHaveProperty('secret');
    });
  });

  describe('nothing is emitted for changes that do not commit', () => {
    const other = `owner-${randomUUID()}`;
    const otherAuth = bearer(mintToken({ sub: other, nickname: 'olga' }));
    let watcher: { id: string };

    beforeAll(async () => {
      watcher = await create(otherAuth, { url: `${receiver.url}/watch-2`, events: LIFECYCLE });
      await awaitEvent(receiver, '/watch-2', 'webhook.created', watcher.id);
    });

    it('a transaction rolled back after recordWebhookEvent', async () => {
      const dataSource: DataSource = pipeline.dataSource;
      let rolledBack = '';
      await expect(
        dataSource.transaction(async (manager) => {
          const webhook = await manager.save(
            manager.create(WebhookEntity, {
              ownerId: other,
              ownerNickname: 'olga',
              userId: other,
              apiId: null,
              url: `${receiver.url}/rolled-back`,
              events: ['api.created'],
              active: true,
              custom: null,
              secret: 'whsec_dGVzdA==',
              disabledReason: null,
              failingSince: null,
              lastDelivery: null,
            }),
          );
          rolledBack = webhook.id;
          await recordWebhookEvent(manager, 'webhook.created', webhook, { id: other, nickname: 'olga' });
          const inside = await manager.query(
            `SELECT id FROM event_outbox WHERE envelope->'resource'->>'id' = $1`,
            [webhook.id],
          );
          expect(inside).toHaveLength(1);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await outboxRows('id', rolledBack)).toEqual([]);
      expect(await dataSource.getRepository(WebhookEntity).countBy({ id: rolledBack })).toBe(0);
      // A committed change afterwards is delivered; the rolled-back one never is.
      const marker = await create(otherAuth, {
        url: `${receiver.url}/marker`,
        events: [{ name: 'api.created' }],
      });
      await awaitEvent(receiver, '/watch-2', 'webhook.created', marker.id);
      await waitForQuiet(pipeline.dataSource, pipeline.api.config);
      expect(eventsAt(receiver, '/watch-2').filter((e) => e.resource.id === rolledBack)).toEqual([]);
    });

    it('a create rejected with 400 or 409', async () => {
      const invalidUrl = `${receiver.url}/invalid-${randomUUID()}`;
      await request(pipeline.api.http)
        .post('/webhooks')
        .set(otherAuth)
        .send({ url: invalidUrl, events: [{ name: 'webhook.ping' }] })
        .expect(400);
      expect(await outboxRows('url', invalidUrl)).toEqual([]);
      // watcher + marker + this one = WEBHOOK_LIMIT_PER_USER (3)
      const last = await create(otherAuth, {
        url: `${receiver.url}/last`,
        events: [{ name: 'api.created' }],
      });
      const overUrl = `${receiver.url}/over-${randomUUID()}`;
      await request(pipeline.api.http)
        .post('/webhooks')
        .set(otherAuth)
        .send({ url: overUrl, events: [{ name: 'api.created' }] })
        .expect(409);
      expect(await outboxRows('url', overUrl)).toEqual([]);
      await request(pipeline.api.http)
        .put(`/webhooks/${last.id}`)
        .set(otherAuth)
        .send({ custom: '{}' })
        .expect(200);
      await awaitEvent(receiver, '/watch-2', 'webhook.updated', last.id);
      await waitForQuiet(pipeline.dataSource, pipeline.api.config);
      const urls = eventsAt(receiver, '/watch-2').map((e) => e.resource.url);
      expect(urls).not.toContain(invalidUrl);
      expect(urls).not.toContain(overUrl);
    });
  });
});

describe('Lifecycle events survive a Redis outage (e2e)', () => {
  const receiver = new HttpReceiver();
  const auth = bearer(mintToken({ sub: `owner-${randomUUID()}` }));
  let redis: PrivateRedis;
  let databaseUrl: string;
  let api: TestApi;
  let worker: TestWorker;

  beforeAll(async () => {
    await receiver.start();
    redis = await PrivateRedis.start();
    databaseUrl = await createTestDatabase();
    const env = pipelineEnv('outbox-outage', {
      REDIS_URL: redis.url,
      DATABASE_URL: databaseUrl,
    });
    api = await createPipelineApi(env);
    worker = await createTestWorker(env);
  });
  afterAll(async () => {
    if (redis && !redis.isRunning) await redis.start(); // closing BullMQ clients needs their server
    await worker?.close();
    await api?.close();
    await redis?.stop();
    await receiver.stop();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  it('POST /webhooks answers while Redis is down; the event goes out once it is back, once', async () => {
    const dataSource = api.app.get(DataSource);
    const create = (path: string, events: object[]) =>
      request(api.http)
        .post('/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}${path}`, events });
    const watcher = (await create('/watch', [{ name: 'webhook.created' }]).expect(201)).body;
    await awaitEvent(receiver, '/watch', 'webhook.created', watcher.id);

    await redis.stop();
    const relay = api.app.get(OutboxRelay);
    const started = Date.now();
    const second = (await create('/second', [{ name: 'api.created' }]).expect(201)).body;
    expect(Date.now() - started).toBeLessThan(3_000);
    const [row] = await dataSource.query(
      `SELECT id FROM event_outbox WHERE envelope->'resource'->>'id' = $1`,
      [second.id],
    );
    expect(row).toEqual({ id: expect.any(String) });
    // The relay retries every second while Redis is down: the row must survive its failures.
    const failedBefore = relay.failedPasses;
    await waitUntil(
      () => Promise.resolve(relay.failedPasses >= failedBefore + 2),
      10_000,
      'two failed relay passes',
    );
    expect(await dataSource.query('SELECT id FROM event_outbox')).toEqual([row]);
    expect(eventsAt(receiver, '/watch').filter((e) => e.resource.id === second.id)).toEqual([]);

    await redis.start();
    const event = await awaitEvent(receiver, '/watch', 'webhook.created', second.id, 30_000);
    expect(event.id).toBe(row.id);
    expect(event.webhookId).toBe(row.id);
    await waitUntil(async () => {
      const rows = await dataSource.query('SELECT id FROM event_outbox');
      return rows.length === 0;
    });
    await waitForQuiet(dataSource, api.config);
    expect(eventsAt(receiver, '/watch').filter((e) => e.resource.id === second.id)).toHaveLength(1);
  }, 60_000);
});
