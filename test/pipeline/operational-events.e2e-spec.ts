import { ServerResponse } from 'node:http';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { findEventCatalogEntry } from '@app/events';
import request from 'supertest';
import {
  bearer,
  createWebhook,
  CreatedWebhook,
  HttpReceiver,
  mintToken,
  ReceivedRequest,
  verifyDelivery,
} from '@app/testing';
import {
  createPipeline,
  ownerEvent,
  Pipeline,
  pipelineEnv,
  waitForQuiet,
  waitUntil,
} from './helpers/pipeline';

/**
 * Operational events (README → Operational events): a second webhook of the same owner hears about
 * an endpoint in trouble, once per change, signed, without a secret in sight.
 */
const OPERATIONAL = [
  'webhook.failing',
  'webhook.recovered',
  'webhook.paused',
  'webhook.resumed',
  'delivery.exhausted',
];
const HEADER_SECRET = 'hdr-value-never-shown-9f3k';
const QUERY_SECRET = 'query-token-never-shown-7d2m';

type Answer = 'ok' | 503 | 500 | 410 | 'reset';

const schemas = new Ajv({ strict: true, allowUnionTypes: true });
addFormats(schemas);

/** The fields of a received event these tests read beyond toMatchObject. */
interface HeardEvent {
  id: string;
  name: string;
  resource: { failingSince: string; deliveryHealth: { pausedUntil: string }; webhook: { url: string } };
}

interface Owner {
  sub: string;
  auth: Record<string, string>;
  watcher: CreatedWebhook;
  path: string;
}

describe('Operational events (e2e)', () => {
  let pipeline: Pipeline;
  const answers = new Map<string, Answer>();
  const receiver = new HttpReceiver((incoming, response) => answer(answers.get(pathOf(incoming)), response));

  function pathOf(incoming: ReceivedRequest): string {
    return incoming.url.split('?')[0];
  }

  function answer(how: Answer | undefined, response: ServerResponse): void {
    if (how === 'reset') {
      response.socket?.destroy();
      return;
    }
    response.statusCode = how === undefined || how === 'ok' ? 200 : how;
    response.end(how === undefined || how === 'ok' ? 'ok' : 'nope');
  }

  const arrived = (path: string) => receiver.requests.filter((r) => pathOf(r) === path);

  /**
   * What the owner's watcher received, verified with standardwebhooks and against the catalog's
   * schema of its event (GET /events), by event name.
   */
  function heard(owner: Owner, name?: string): Array<{ raw: ReceivedRequest; event: HeardEvent }> {
    return arrived(owner.path)
      .map((raw) => ({ raw, event: verifyDelivery(owner.watcher.secret, raw) as HeardEvent }))
      .filter(({ event }) => name === undefined || event.name === name)
      .map((heardEvent) => {
        const validate = schemas.compile(findEventCatalogEntry(heardEvent.event.name)!.schema);
        expect([heardEvent.event.name, validate(heardEvent.event), validate.errors]).toEqual([
          heardEvent.event.name,
          true,
          null,
        ]);
        return heardEvent;
      });
  }

  async function owner(label: string, events: string[] = OPERATIONAL): Promise<Owner> {
    const sub = `ops-${label}-${Math.random().toString(36).slice(2)}`;
    const auth = bearer(mintToken({ sub }));
    const path = `/watch-${label}`;
    const watcher = await createWebhook(pipeline.api.http, auth, { url: `${receiver.url}${path}`, events });
    return { sub, auth, watcher, path };
  }

  async function endpoint(o: Owner, path: string, how: Answer): Promise<CreatedWebhook> {
    answers.set(path, how);
    return createWebhook(pipeline.api.http, o.auth, {
      url: `${receiver.url}${path}?token=${QUERY_SECRET}`,
      events: ['api.created'],
      headers: { 'X-Api-Key': HEADER_SECRET },
    });
  }

  /** No secret of either webhook, no header value, no credential of the URL. */
  function expectNoSecret(raw: ReceivedRequest, ...webhooks: CreatedWebhook[]): void {
    for (const webhook of webhooks) expect(raw.body).not.toContain(webhook.secret);
    expect(raw.body).not.toContain(HEADER_SECRET);
    expect(raw.body).not.toContain(QUERY_SECRET);
    expect(raw.body).not.toMatch(/"secret"/);
  }

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('operational-events', {
        DELIVERY_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms,200ms',
        DELIVERY_CIRCUIT_THRESHOLD: '3',
        DELIVERY_CIRCUIT_COOLDOWN: '300ms',
      }),
    );
  });
  afterAll(async () => {
    await receiver.stop();
    await pipeline.close();
  });

  it('webhook.failing once at the 4th failure in a row, webhook.recovered at the first success after it', async () => {
    const o = await owner('failing');
    const flaky = await endpoint(o, '/flaky', 503);
    await pipeline.publisher.publish(ownerEvent(o.sub));

    const [failing] = await waitUntil(
      async () => (heard(o, 'webhook.failing').length > 0 ? heard(o, 'webhook.failing') : undefined),
      10_000,
      'webhook.failing',
    );
    // Published by the record of the 4th attempt: no sooner.
    expect(arrived('/flaky').length).toBeGreaterThanOrEqual(4);
    expect(failing.event).toMatchObject({
      name: 'webhook.failing',
      resourceType: 'Webhook',
      ownerId: o.sub,
      user: { id: 'system' },
      resource: {
        id: flaky.id,
        consecutiveFailures: 4,
        lastDelivery: { success: false, statusCode: 503 },
        headers: { 'X-Api-Key': '••••' },
      },
    });
    expect(Date.parse(failing.event.resource.failingSince)).not.toBeNaN();
    expect(failing.raw.headers['webhook-id']).toBe(failing.event.id);
    expectNoSecret(failing.raw, flaky, o.watcher);

    // Failures 5 and 6 publish nothing more; then the endpoint comes back.
    await waitUntil(async () => arrived('/flaky').length >= 6, 10_000, 'six attempts');
    answers.set('/flaky', 'ok');
    const [recovered] = await waitUntil(
      async () => (heard(o, 'webhook.recovered').length > 0 ? heard(o, 'webhook.recovered') : undefined),
      10_000,
      'webhook.recovered',
    );
    expect(recovered.event).toMatchObject({
      ownerId: o.sub,
      resource: {
        id: flaky.id,
        failingSince: failing.event.resource.failingSince,
        lastDelivery: { success: true },
      },
    });
    expectNoSecret(recovered.raw, flaky, o.watcher);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(heard(o).map(({ event }) => event.name)).toEqual(['webhook.failing', 'webhook.recovered']);
    const [row] = await pipeline.dataSource.query('SELECT failure_count FROM webhooks WHERE id = $1', [
      flaky.id,
    ]);
    expect(row.failure_count).toBe(0);
  }, 30_000);

  it('delivery.exhausted when a delivery fails its last retry, with the attempts and the last answer', async () => {
    const o = await owner('exhausted');
    const dead = await endpoint(o, '/dead', 500);
    await pipeline.publisher.publish(ownerEvent(o.sub));
    const [exhausted] = await waitUntil(
      async () => (heard(o, 'delivery.exhausted').length > 0 ? heard(o, 'delivery.exhausted') : undefined),
      15_000,
      'delivery.exhausted',
    );
    const [delivery] = await pipeline.dataSource.query(
      'SELECT id, status, attempts, event_id FROM deliveries WHERE webhook_id = $1',
      [dead.id],
    );
    expect(delivery).toMatchObject({ status: 'failed', attempts: 7 });
    expect(exhausted.event).toMatchObject({
      name: 'delivery.exhausted',
      resourceType: 'Delivery',
      ownerId: o.sub,
      user: { id: 'system' },
      resource: {
        id: delivery.id,
        status: 'failed',
        attempts: 7,
        webhook: { id: dead.id },
        event: { id: delivery.event_id, name: 'api.created' },
        lastAttempt: { statusCode: 500, response: 'nope', error: null },
      },
    });
    expect(exhausted.event.resource.webhook.url).toContain('/dead?token=••••');
    expectNoSecret(exhausted.raw, dead, o.watcher);
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(heard(o, 'delivery.exhausted')).toHaveLength(1);
    expect(heard(o, 'webhook.failing')).toHaveLength(1);
  }, 30_000);

  it('no loop: a delivery of delivery.exhausted that itself gives up publishes nothing further', async () => {
    const o = await owner('loop', ['delivery.exhausted']);
    answers.set(o.path, 500);
    await endpoint(o, '/dead-too', 500);
    await pipeline.publisher.publish(ownerEvent(o.sub));
    // The watcher fails every attempt of the one delivery.exhausted it is sent, to its last.
    await waitUntil(async () => arrived(o.path).length >= 7, 15_000, "the watcher's seven attempts");
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    const deliveries = await pipeline.dataSource.query(
      `SELECT e.name, d.status FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.webhook_id = $1`,
      [o.watcher.id],
    );
    expect(deliveries).toEqual([{ name: 'delivery.exhausted', status: 'failed' }]);
    const published = await pipeline.dataSource.query(
      `SELECT count(*)::int AS n FROM events WHERE name = 'delivery.exhausted' AND body::jsonb ->> 'ownerId' = $1`,
      [o.sub],
    );
    expect(published[0].n).toBe(1);
    expect(arrived(o.path)).toHaveLength(7);
  }, 40_000);

  it('webhook.paused when the circuit opens (not again when a probe fails), webhook.resumed when it closes', async () => {
    const o = await owner('circuit');
    const down = await endpoint(o, '/down', 'reset');
    // An endpoint that worked before keeps its full schedule.
    await pipeline.dataSource.query('UPDATE webhooks SET first_success_at = now() WHERE id = $1', [down.id]);
    await pipeline.publisher.publishBulk(Array.from({ length: 4 }, () => ownerEvent(o.sub)));

    const [paused] = await waitUntil(
      async () => (heard(o, 'webhook.paused').length > 0 ? heard(o, 'webhook.paused') : undefined),
      10_000,
      'webhook.paused',
    );
    expect(paused.event).toMatchObject({
      ownerId: o.sub,
      resource: { id: down.id, deliveryHealth: { state: 'paused' } },
    });
    expect(Date.parse(paused.event.resource.deliveryHealth.pausedUntil)).toBeGreaterThan(Date.now() - 10_000);
    expectNoSecret(paused.raw, down, o.watcher);
    // A probe fails and the pause goes on, longer: the same pause, no second webhook.paused.
    await waitUntil(
      async () => {
        const [row] = await pipeline.dataSource.query('SELECT pause_count FROM webhooks WHERE id = $1', [
          down.id,
        ]);
        return row.pause_count >= 2;
      },
      10_000,
      'a failed probe',
    );
    answers.set('/down', 'ok');
    const [resumed] = await waitUntil(
      async () => (heard(o, 'webhook.resumed').length > 0 ? heard(o, 'webhook.resumed') : undefined),
      10_000,
      'webhook.resumed',
    );
    expect(resumed.event).toMatchObject({
      ownerId: o.sub,
      resource: {
        id: down.id,
        deliveryHealth: { state: expect.not.stringMatching('paused'), pausedUntil: null },
      },
    });
    expectNoSecret(resumed.raw, down, o.watcher);
    await waitUntil(
      async () => {
        const rows = await pipeline.dataSource.query(
          `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'succeeded'`,
          [down.id],
        );
        return rows[0].n === 4;
      },
      15_000,
      'the backlog delivered',
    );
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(heard(o, 'webhook.paused')).toHaveLength(1);
    expect(heard(o, 'webhook.resumed')).toHaveLength(1);
  }, 40_000);

  it('shows the webhook in each webhook.* event as GET shows it to webhook.readonly: ed25519, fifo, a filter', async () => {
    const o = await owner('resource');
    const viewer = bearer(mintToken({ sub: o.sub, scope: 'webhook.readonly' }));
    answers.set('/shaped', 'reset');
    const shaped = await createWebhook(pipeline.api.http, o.auth, {
      url: `${receiver.url}/shaped?token=${QUERY_SECRET}`,
      events: ['api.created'],
      headers: { 'X-Api-Key': HEADER_SECRET },
      signing: 'ed25519',
      ordering: 'fifo',
      filter: { resource: { owner: o.sub } },
    });
    // An endpoint that worked before keeps its full schedule: the head is retried into the circuit.
    await pipeline.dataSource.query('UPDATE webhooks SET first_success_at = now() WHERE id = $1', [
      shaped.id,
    ]);
    await pipeline.publisher.publishBulk(Array.from({ length: 3 }, () => ownerEvent(o.sub)));
    const once = async (name: string) =>
      (
        await waitUntil(async () => (heard(o, name).length > 0 ? heard(o, name) : undefined), 15_000, name)
      )[0];
    const failing = await once('webhook.failing');
    const paused = await once('webhook.paused');
    answers.set('/shaped', 'ok');
    const resumed = await once('webhook.resumed');
    const recovered = await once('webhook.recovered');

    const shown = (await request(pipeline.api.http).get(`/webhooks/${shaped.id}`).set(viewer).expect(200))
      .body as Record<string, unknown>;
    expect(shown).toMatchObject({
      signing: 'ed25519',
      ordering: 'fifo',
      filter: { resource: { owner: o.sub } },
      headers: { 'X-Api-Key': '••••' },
    });
    expect(shown.url).toContain('/shaped?token=••••');
    // What changes from one moment to the next (the last attempt, the circuit) aside, they are equal.
    const { lastDelivery: _last, deliveryHealth: _health, ...steady } = shown;
    for (const heardEvent of [failing, paused, resumed, recovered]) {
      const resource = (heardEvent.event as unknown as { resource: Record<string, unknown> }).resource;
      const {
        lastDelivery,
        deliveryHealth,
        consecutiveFailures: _count,
        failingSince: _since,
        ...rest
      } = resource;
      expect([heardEvent.event.name, rest]).toEqual([heardEvent.event.name, steady]);
      expect(Object.keys(resource)).toEqual(expect.arrayContaining(Object.keys(shown)));
      expect(lastDelivery).toMatchObject({ success: expect.any(Boolean) });
      expect(deliveryHealth).toMatchObject({ state: expect.any(String) });
      expectNoSecret(heardEvent.raw, shaped, o.watcher);
    }
    expect(paused.event.resource).toMatchObject({ deliveryHealth: { state: 'paused' } });
  }, 40_000);

  it('410 Gone: delivery.exhausted with the 410, besides webhook.disabled', async () => {
    const o = await owner('gone', ['delivery.exhausted', 'webhook.disabled']);
    const gone = await endpoint(o, '/gone', 410);
    await pipeline.publisher.publish(ownerEvent(o.sub));
    await waitUntil(async () => heard(o).length >= 2, 10_000, 'both events');
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    const events = heard(o).map(({ event }) => event);
    expect(events.map((event) => event.name).sort()).toEqual(['delivery.exhausted', 'webhook.disabled']);
    expect(events.find((event) => event.name === 'delivery.exhausted')).toMatchObject({
      resource: { attempts: 1, webhook: { id: gone.id }, lastAttempt: { statusCode: 410 } },
    });
    // webhook.disabled is built from the same columns as the operational events (and GET).
    const viewer = bearer(mintToken({ sub: o.sub, scope: 'webhook.readonly' }));
    const shown = (await request(pipeline.api.http).get(`/webhooks/${gone.id}`).set(viewer).expect(200))
      .body as Record<string, unknown>;
    const disabled = events.find((event) => event.name === 'webhook.disabled') as unknown as {
      resource: Record<string, unknown>;
    };
    expect(disabled.resource).toEqual({
      ...shown,
      lastDelivery: expect.objectContaining({ statusCode: 410 }),
    });
  }, 30_000);

  it("another owner's webhooks hear nothing of it", async () => {
    const bystander = await owner('bystander');
    const o = await owner('private');
    await endpoint(o, '/private', 500);
    await pipeline.publisher.publish(ownerEvent(o.sub));
    await waitUntil(async () => heard(o, 'delivery.exhausted').length > 0, 15_000, 'delivery.exhausted');
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    expect(heard(bystander)).toEqual([]);
    const response = await request(pipeline.api.http)
      .get(`/webhooks/${o.watcher.id}`)
      .set(o.auth)
      .expect(200);
    expect(response.body.lastDelivery).toMatchObject({ success: true });
  }, 30_000);
});

describe('Operational events: a delivery failed by the disabling of its webhook (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver((incoming, response) => {
    response.statusCode = incoming.url === '/failing' ? 500 : 200;
    response.end();
  });

  beforeAll(async () => {
    await receiver.start();
    // Retries left when the streak turns older than WEBHOOK_DISABLE_AFTER: disabling ends the delivery.
    pipeline = await createPipeline(
      pipelineEnv('operational-disable', {
        DELIVERY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms',
        WEBHOOK_DISABLE_AFTER: '700ms',
      }),
    );
  });
  afterAll(async () => {
    await receiver.stop();
    await pipeline.close();
  });

  it('publishes delivery.exhausted for it, once, and nothing for the dropped rest', async () => {
    const sub = `ops-disable-${Math.random().toString(36).slice(2)}`;
    const auth = bearer(mintToken({ sub }));
    const watcher = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/watch`,
      events: ['delivery.exhausted', 'webhook.disabled'],
    });
    const failing = await createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/failing` });
    await pipeline.publisher.publishBulk([ownerEvent(sub), ownerEvent(sub)]);
    await waitUntil(
      async () => receiver.requests.filter((r) => r.url === '/watch').length >= 2,
      15_000,
      'the notices',
    );
    await waitForQuiet(pipeline.dataSource, pipeline.api.config);
    const notices = receiver.requests
      .filter((r) => r.url === '/watch')
      .map(
        (raw) => verifyDelivery(watcher.secret, raw) as { name: string; resource: Record<string, unknown> },
      );
    const states = await pipeline.dataSource.query<Array<{ id: string; status: string; attempts: number }>>(
      'SELECT id, status, attempts FROM deliveries WHERE webhook_id = $1 ORDER BY status',
      [failing.id],
    );
    const failed = states.filter((state) => state.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].attempts).toBeLessThan(11);
    expect(notices.map((notice) => notice.name).sort()).toEqual(['delivery.exhausted', 'webhook.disabled']);
    expect(notices.find((notice) => notice.name === 'delivery.exhausted')?.resource).toMatchObject({
      id: failed[0].id,
      attempts: failed[0].attempts,
      lastAttempt: { statusCode: 500 },
    });
  }, 30_000);
});

/**
 * README → Operational events (No feedback loops): exhausted_at is set by the statement that ends the
 * delivery failed, not under the operational events' savepoint. When writing delivery.exhausted fails
 * (here a trigger refuses it), the mark stays: a recover that fails again publishes none.
 */
describe('Operational events: delivery.exhausted when its writing fails (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver((incoming, response) => {
    response.statusCode = incoming.url === '/down' ? 500 : 200;
    response.end();
  });

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(
      pipelineEnv('operational-exhausted-once', { DELIVERY_RETRY_SCHEDULE: '100ms' }),
    );
  });
  afterAll(async () => {
    await receiver.stop();
    await pipeline.close();
  });

  it('keeps exhausted_at set when the operational events roll back; no delivery.exhausted after a recover fails again', async () => {
    const sub = `ops-once-${Math.random().toString(36).slice(2)}`;
    const auth = bearer(mintToken({ sub }));
    await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/watch`,
      events: ['delivery.exhausted'],
    });
    const down = await createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/down` });
    const db = pipeline.dataSource;
    await db.query(`
      CREATE FUNCTION refuse_delivery_exhausted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.envelope->>'name' = 'delivery.exhausted' THEN RAISE EXCEPTION 'refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER refuse_delivery_exhausted BEFORE INSERT ON event_outbox
                    FOR EACH ROW EXECUTE FUNCTION refuse_delivery_exhausted()`);
    const since = new Date(Date.now() - 1_000).toISOString();
    await pipeline.publisher.publish(ownerEvent(sub));
    const state = async () =>
      (
        await db.query<Array<{ status: string; attempts: number; exhaustedAt: Date | null }>>(
          'SELECT status, attempts, exhausted_at AS "exhaustedAt" FROM deliveries WHERE webhook_id = $1',
          [down.id],
        )
      )[0];
    const failed = await waitUntil(
      async () => {
        const current = await state();
        return current?.status === 'failed' ? current : undefined;
      },
      10_000,
      'the delivery failed',
    );
    // The savepoint rolled the event back; the mark made with the status stayed.
    expect(failed.exhaustedAt).toEqual(expect.any(Date));
    await db.query('DROP TRIGGER refuse_delivery_exhausted ON event_outbox');
    await db.query('DROP FUNCTION refuse_delivery_exhausted()');

    await request(pipeline.api.http)
      .post(`/webhooks/${down.id}/recover`)
      .set(auth)
      .send({ since })
      .expect(202, { deliveries: 1 });
    await waitUntil(
      async () => {
        const current = await state();
        return current.status === 'failed' && current.attempts > failed.attempts;
      },
      10_000,
      'the recovered delivery failed again',
    );
    await waitForQuiet(db, pipeline.api.config);
    expect((await state()).exhaustedAt).toEqual(failed.exhaustedAt);
    const [published] = await db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM events WHERE name = 'delivery.exhausted'`,
    );
    expect(published.n).toBe(0);
    expect(receiver.requests.filter((r) => r.url === '/watch')).toEqual([]);
  }, 30_000);
});
