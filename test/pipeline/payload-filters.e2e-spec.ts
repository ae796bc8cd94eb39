import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { bearer, createWebhook, CreatedWebhook, HttpReceiver, mintToken, verifyDelivery } from '@app/testing';
import { EventEnvelope } from '@app/events';
import { createPipeline, Pipeline, pipelineEnv, waitForQuiet } from './helpers/pipeline';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Text as the fan-out compares it: NUL and lone surrogates as U+FFFD (README → Payload filters). */
const comparable = (text: string) => text.toWellFormed().replaceAll('\u0000', '\ufffd');

/** A model of jsonb `@>` below the top level: objects by key, arrays by any-item, scalars by equality. */
function contains(event: Json, filter: Json): boolean {
  if (typeof event === 'string' && typeof filter === 'string') return comparable(event) === filter;
  if (typeof filter !== 'object' || filter === null) return event === filter;
  if (Array.isArray(filter)) {
    return (
      Array.isArray(event) && filter.every((item) => event.some((candidate) => contains(candidate, item)))
    );
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const byKey = new Map(Object.keys(event).map((key) => [comparable(key), event[key]]));
  return Object.keys(filter).every((key) => byKey.has(key) && contains(byKey.get(key) as Json, filter[key]));
}

const scalar = fc.constantFrom<Json>('a', 'b', '', 1, 2, 1.5, true, false, null, 'a\u0000b', '\ud800', 'é😀');
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.record({ x: scalar }, { requiredKeys: [] }),
  fc.array(fc.record({ x: scalar }, { requiredKeys: [] }), { maxLength: 2 }),
);
/** Resources whose fields collide with the filters below often, and carry text jsonb cannot hold. */
const resource = fc.record(
  {
    k: value,
    j: value,
    other: fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), scalar, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);
const FILTERS: Json[] = [
  { resource: { k: 'a' } },
  { resource: { k: 1 } },
  { resource: { k: ['a'] } },
  { resource: { k: ['a', 'b'] } },
  { resource: { k: { x: 'a' } } },
  { resource: { k: [{ x: 'a' }] } },
  { resource: { k: null } },
  { resource: { k: {} } },
  { resource: { k: [] } },
  { resource: { k: true, j: 'b' } },
  { resource: { j: { x: 'é😀' } } },
  { resourceType: 'Api', resource: {} },
];

/**
 * Events and delivery semantics → Payload filters: fan-out creates deliveries only for the webhooks
 * whose filter the event contains; receivers get exactly those, with the body as published.
 */
describe('Payload filters through the pipeline (e2e)', () => {
  let pipeline: Pipeline;
  const env = pipelineEnv('payload-filters');
  const receiver = new HttpReceiver();
  const sub = `filters-${Date.now()}`;
  const auth = bearer(mintToken({ sub }));
  const apiId = randomUUID();

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(env);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const hook = (path: string, fields: Record<string, unknown> = {}) =>
    createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/${path}`, ...fields });
  const put = (id: string, payload: object) =>
    request(pipeline.api.http).put(`/webhooks/${id}`).set(auth).send(payload).expect(200);
  const publish = (resource: Record<string, unknown>, extra: Partial<EventEnvelope> = {}) =>
    pipeline.publisher.publish({
      name: 'api.created',
      user: { id: sub },
      resourceType: 'Api',
      resource,
      ownerId: sub,
      ...extra,
    });
  const received = () =>
    receiver.requests.map(
      (r) => `${r.url.slice(1)} ${String(r.headers['x-apitree-event'])} ${String(r.headers['webhook-id'])}`,
    );

  it('delivers each event to the webhooks whose filter it contains, and to no other', async () => {
    const hooks: Record<string, CreatedWebhook> = {
      all: await hook('all'),
      public: await hook('public', { filter: { resource: { visibility: 'public' } } }),
      private: await hook('private', { filter: { resource: { visibility: 'private' } } }),
      nested: await hook('nested', { filter: { resource: { owner: { team: 'platform' } } } }),
      tagged: await hook('tagged', { filter: { resource: { tags: ['a'] } } }),
      scalars: await hook('scalars', { filter: { resourceType: 'Api', user: { nickname: 'kim' } } }),
      // Matched by apiId (the fan-out's other join).
      api: await hook('api', { apiId, filter: { resource: { visibility: 'public' } } }),
      // Lifecycle events are events: filtered too.
      disabled: await hook('disabled', {
        events: ['webhook.updated'],
        filter: { resource: { active: false } },
      }),
      other: await hook('other', { events: ['plan.created'] }),
    };

    const e1 = await publish(
      { id: '1', visibility: 'public', owner: { team: 'platform', lead: 'kim' }, tags: ['a', 'b'] },
      { user: { id: sub, nickname: 'kim' } },
    );
    const e2 = await publish({ id: '2', visibility: 'private', owner: { team: 'billing' }, tags: ['b'] });
    // Text jsonb cannot hold (NUL, a lone surrogate) must neither fail the fan-out nor reach receivers altered.
    const hostile = { id: '3', visibility: 'public', note: 'a\u0000b', lone: '\ud800', tags: ['a'] };
    const e3 = await publish(hostile);
    // A changed filter counts from the next event on; that PUT's webhook.updated (still active) is filtered out.
    await put(hooks.private.id, { filter: { resource: { tags: ['b'] } } });
    const e4 = await publish({ id: '4', visibility: 'public', tags: ['b', 'c'] });
    const e5 = await publish({ id: '5', visibility: 'public' }, { apiId, ownerId: undefined });
    const e6 = await publish({ id: '6', visibility: 'private' }, { apiId, ownerId: undefined });
    await put(hooks.other.id, { custom: '{"note":"still active"}' });
    await put(hooks.other.id, { active: false });
    // A ping goes whatever the filter says.
    const ping = await request(pipeline.api.http)
      .post(`/webhooks/${hooks.private.id}/ping`)
      .set(auth)
      .expect(202);

    const expected = [
      ...['all', 'public', 'nested', 'tagged', 'scalars'].map((path) => `${path} api.created ${e1}`),
      ...['all', 'private'].map((path) => `${path} api.created ${e2}`),
      ...['all', 'public', 'tagged'].map((path) => `${path} api.created ${e3}`),
      ...['all', 'public', 'private'].map((path) => `${path} api.created ${e4}`),
      `api api.created ${e5}`,
      `private webhook.ping ${ping.body.eventId}`,
    ];
    await receiver.waitFor(expected.length + 1, 30_000);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config, 30_000);

    const lifecycle = receiver.requests.filter((r) => r.headers['x-apitree-event'] === 'webhook.updated');
    expect(lifecycle).toHaveLength(1);
    expect(lifecycle[0].url).toBe('/disabled');
    const disabledEvent = verifyDelivery(hooks.disabled.secret, lifecycle[0]) as {
      resource: { id: string; active: boolean; filter: unknown };
    };
    expect(disabledEvent.resource).toMatchObject({ id: hooks.other.id, active: false, filter: null });

    expect(
      received()
        .filter((line) => !line.includes('webhook.updated'))
        .sort(),
    ).toEqual(expected.sort());

    // Only matching deliveries were ever created.
    const byWebhook = new Map(Object.entries(hooks).map(([path, webhook]) => [webhook.id, path]));
    const rows = await pipeline.dataSource.query<Array<{ event_id: string; webhook_id: string }>>(
      'SELECT event_id, webhook_id FROM deliveries WHERE event_id = ANY($1)',
      [[e1, e2, e3, e4, e5, e6]],
    );
    expect(rows.map((row) => `${byWebhook.get(row.webhook_id)} api.created ${row.event_id}`).sort()).toEqual(
      expected.filter((line) => line.includes('api.created')).sort(),
    );

    // The receiver got the body as published, signed: the filter matched on a copy.
    const hostileDelivery = receiver.requests.find(
      (r) => r.url === '/public' && r.headers['webhook-id'] === e3,
    );
    const delivered = verifyDelivery(hooks.public.secret, hostileDelivery!) as { resource: unknown };
    expect(delivered.resource).toEqual(hostile);
  });

  it('creates a delivery exactly where a model of jsonb containment says (fast-check)', async () => {
    const owner = `${sub}-model`;
    const modelAuth = bearer(mintToken({ sub: owner }));
    const webhooks = await Promise.all(
      [null, ...FILTERS].map((filter, index) =>
        createWebhook(pipeline.api.http, modelAuth, { url: `${receiver.url}/model-${index}`, filter }),
      ),
    );
    const resources = fc.sample(resource, { numRuns: 60, seed: 20251212 });
    const ids = await Promise.all(
      resources.map((generated) =>
        pipeline.publisher.publish({
          name: 'api.created',
          user: { id: owner },
          resourceType: 'Api',
          resource: generated,
          ownerId: owner,
        }),
      ),
    );
    await waitForQuiet(pipeline.dataSource, pipeline.api.config, 60_000);

    const expected = ids.flatMap((id, n) =>
      webhooks
        .filter((_webhook, index) => {
          const filter = index === 0 ? null : FILTERS[index - 1];
          const event = { resourceType: 'Api', resource: resources[n] as Json };
          return filter === null || contains(event, filter);
        })
        .map((webhook) => `${id} ${webhook.id}`),
    );
    const rows = await pipeline.dataSource.query<Array<{ event_id: string; webhook_id: string }>>(
      'SELECT event_id, webhook_id FROM deliveries WHERE event_id = ANY($1)',
      [ids],
    );
    expect(rows.map((row) => `${row.event_id} ${row.webhook_id}`).sort()).toEqual(expected.sort());
    // Every event reached the unfiltered webhook, and the filters both kept and left out some.
    expect(rows.filter((row) => row.webhook_id === webhooks[0].id)).toHaveLength(ids.length);
    expect(expected.length).toBeGreaterThan(ids.length + 20);
    expect(expected.length).toBeLessThan(ids.length * webhooks.length - 20);
  });
});
