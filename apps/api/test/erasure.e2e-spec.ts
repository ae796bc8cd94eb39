import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  bearer,
  createTestDatabase,
  createWebhook,
  dropTestDatabase,
  freePort,
  mintToken,
} from '@app/testing';
import { portalLogin } from './helpers/portal';
import { createTestApi, TestApi } from './helpers/test-app';

type Auth = Record<string, string>;
type Status = 'pending' | 'paused' | 'succeeded' | 'failed' | 'dropped';

interface Seeded {
  eventId: string;
  status: Status;
  attempts: number;
}

/** A delivery history for a webhook: the event (shared by id if it exists), its delivery, attempts. */
async function seed(db: DataSource, webhookId: string, history: Seeded[]): Promise<void> {
  for (const { eventId, status, attempts } of history) {
    await db.query(
      `INSERT INTO events (id, name, body) VALUES ($1, 'api.created', '{"personal":"data"}') ON CONFLICT DO NOTHING`,
      [eventId],
    );
    const [delivery] = await db.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (event_id, webhook_id, status, attempts) VALUES ($1, $2, $3, $4) RETURNING id`,
      [eventId, webhookId, status, attempts],
    );
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await db.query(
        `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
                                        status_code, response, duration_ms)
         VALUES ($1, $2, $3, $4, 'api.created', $5, $6, 200, 'OK', 10)`,
        [randomUUID(), delivery.id, webhookId, eventId, attempt, status === 'succeeded'],
      );
    }
  }
}

/** Rows the test looks at, by webhook: what an erasure must leave alone. */
async function footprint(db: DataSource, webhookIds: string[]) {
  const [row] = await db.query<Array<Record<string, number>>>(
    `SELECT (SELECT count(*)::int FROM webhooks WHERE id = ANY($1::uuid[])) AS webhooks,
            (SELECT count(*)::int FROM deliveries WHERE webhook_id = ANY($1::uuid[])) AS deliveries,
            (SELECT count(*)::int FROM delivery_attempts WHERE webhook_id = ANY($1::uuid[])) AS attempts,
            (SELECT count(*)::int FROM events e WHERE EXISTS (
               SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.webhook_id = ANY($1::uuid[]))) AS events`,
    [webhookIds],
  );
  return row;
}

const ZEROS = {
  webhooks: 0,
  deliveries: 0,
  pendingDeliveries: 0,
  attempts: 0,
  events: 0,
  droppedDeliveries: 0,
  lifecycleEvents: 0,
  portalSessions: 0,
  portalLinks: 0,
};

/** Events of `ids` as stored: a tombstone has no body, owner, user or fingerprint, and erased_at. */
async function storedEvents(db: DataSource, ids: string[]) {
  return db.query<
    Array<{ id: string; body: string; owner: string | null; user: string | null; erased: boolean }>
  >(
    `SELECT id, body, owner_id AS owner, user_id AS user, erased_at IS NOT NULL AS erased
       FROM events WHERE id = ANY($1) ORDER BY id`,
    [ids],
  );
}

/** README → API → Erasure: DELETE /users/{userId}/data. */
describe('Erasure (e2e)', () => {
  let api: TestApi;
  let db: DataSource;

  beforeAll(async () => {
    api = await createTestApi();
    db = api.app.get(DataSource);
  });
  afterAll(() => api.close());

  const erase = (userId: string, auth: Auth) =>
    request(api.http)
      .delete(`/users/${encodeURIComponent(userId)}/data`)
      .set(auth);

  function user(orgs: string[] = []) {
    const sub = `user-${randomUUID()}`;
    return { sub, auth: bearer(mintToken({ sub, orgs })) };
  }

  it("erases the caller's webhooks, every delivery, attempt and event body only they needed, and reports it", async () => {
    const org = `org-${randomUUID()}`;
    const alice = user([org]);
    const bob = user();
    const own = await createWebhook(api.http, alice.auth);
    const forOrg = await createWebhook(api.http, alice.auth, { userId: org });
    const bobs = await createWebhook(api.http, bob.auth);
    const [shared, onlyAlice, onlyAlice2, onlyBob] = [1, 2, 3, 4].map(() => randomUUID());
    await seed(db, own.id, [
      { eventId: shared, status: 'succeeded', attempts: 1 },
      { eventId: onlyAlice, status: 'failed', attempts: 3 },
      { eventId: onlyAlice2, status: 'pending', attempts: 1 },
    ]);
    await seed(db, forOrg.id, [
      { eventId: onlyAlice2, status: 'paused', attempts: 0 },
      { eventId: shared, status: 'dropped', attempts: 2 },
    ]);
    await seed(db, bobs.id, [
      { eventId: shared, status: 'succeeded', attempts: 1 },
      { eventId: onlyBob, status: 'pending', attempts: 2 },
    ]);
    const bobBefore = await footprint(db, [bobs.id]);

    const response = await erase(alice.sub, alice.auth).expect(200);

    expect(response.body).toEqual({
      userId: alice.sub,
      webhooks: 2,
      deliveries: 5,
      pendingDeliveries: 2,
      attempts: 7,
      // The shared event stays: Bob's delivery still refers to it.
      events: 2,
      droppedDeliveries: 0,
      lifecycleEvents: expect.any(Number),
      portalSessions: 0,
      portalLinks: 0,
    });
    expect(await footprint(db, [own.id, forOrg.id])).toEqual({
      webhooks: 0,
      deliveries: 0,
      attempts: 0,
      events: 0,
    });
    // The erased ones stay as tombstones, so that a re-publish of their ids delivers nothing.
    const bodies = await storedEvents(db, [shared, onlyAlice, onlyAlice2, onlyBob]);
    expect(bodies.filter((row) => !row.erased).map((row) => row.id)).toEqual([shared, onlyBob].sort());
    expect(bodies.filter((row) => row.erased)).toEqual(
      [onlyAlice, onlyAlice2].sort().map((id) => ({ id, body: '', owner: null, user: null, erased: true })),
    );
    expect(await footprint(db, [bobs.id])).toEqual(bobBefore);
    await request(api.http).get(`/webhooks/${bobs.id}`).set(bob.auth).expect(200);
    expect((await request(api.http).get('/webhooks').set(alice.auth).expect(200)).body).toEqual([]);
  });

  it('answers zeros when called again (idempotent), and for a user without data', async () => {
    const carol = user();
    const webhook = await createWebhook(api.http, carol.auth);
    await seed(db, webhook.id, [{ eventId: randomUUID(), status: 'succeeded', attempts: 1 }]);
    expect((await erase(carol.sub, carol.auth).expect(200)).body).toMatchObject({
      webhooks: 1,
      deliveries: 1,
      attempts: 1,
      events: 1,
    });
    expect((await erase(carol.sub, carol.auth).expect(200)).body).toEqual({ userId: carol.sub, ...ZEROS });
    const nobody = user();
    expect((await erase(nobody.sub, nobody.auth).expect(200)).body).toEqual({ userId: nobody.sub, ...ZEROS });
  });

  it("erases every stored event whose ownerId or user.id is the user, and drops other owners' unfinished deliveries of them", async () => {
    const alice = user();
    const bob = user();
    const bobs = await createWebhook(api.http, bob.auth);
    // Events Alice caused (user.id) or owns (ownerId), delivered to Bob's webhook (an API both
    // follow, say), or to nobody; and Bob's own event.
    const [byAliceDone, byAlicePending, byAliceFailed, ownedByAlice, bobsOwn] = [1, 2, 3, 4, 5].map(() =>
      randomUUID(),
    );
    await seed(db, bobs.id, [
      { eventId: byAliceDone, status: 'succeeded', attempts: 1 },
      { eventId: byAlicePending, status: 'pending', attempts: 1 },
      { eventId: byAliceFailed, status: 'failed', attempts: 2 },
      { eventId: bobsOwn, status: 'pending', attempts: 0 },
    ]);
    await db.query(
      `INSERT INTO events (id, name, body, owner_id, user_id) VALUES ($1, 'api.created', '{"personal":"data"}', $2, $2)`,
      [ownedByAlice, alice.sub],
    );
    await db.query(`UPDATE events SET user_id = $2 WHERE id = ANY($1)`, [
      [byAliceDone, byAlicePending, byAliceFailed],
      alice.sub,
    ]);
    await db.query(`UPDATE events SET owner_id = $2, user_id = $2 WHERE id = $1`, [bobsOwn, bob.sub]);
    const [doneAttempt] = await db.query<Array<{ id: string }>>(
      `SELECT a.id FROM delivery_attempts a WHERE a.event_id = $1`,
      [byAliceDone],
    );

    const response = await erase(alice.sub, alice.auth).expect(200);
    expect(response.body).toEqual({ ...ZEROS, userId: alice.sub, events: 4, droppedDeliveries: 1 });

    const stored = await storedEvents(db, [
      byAliceDone,
      byAlicePending,
      byAliceFailed,
      ownedByAlice,
      bobsOwn,
    ]);
    expect(stored.filter((row) => row.erased).map((row) => row.id)).toEqual(
      [byAliceDone, byAlicePending, byAliceFailed, ownedByAlice].sort(),
    );
    expect(stored.filter((row) => row.erased).every((row) => row.body === '' && row.user === null)).toBe(
      true,
    );
    expect(stored.find((row) => row.id === bobsOwn)).toMatchObject({ erased: false, user: bob.sub });
    // Bob keeps his history; what was still to send of Alice's events is dropped, never sent.
    const statuses = await db.query<Array<{ event_id: string; status: string }>>(
      'SELECT event_id, status FROM deliveries WHERE webhook_id = $1',
      [bobs.id],
    );
    expect(Object.fromEntries(statuses.map((row) => [row.event_id, row.status]))).toEqual({
      [byAliceDone]: 'succeeded',
      [byAlicePending]: 'dropped',
      [byAliceFailed]: 'failed',
      [bobsOwn]: 'pending',
    });
    expect((await footprint(db, [bobs.id])).attempts).toBe(4);
    // The attempt's detail has no body any more; it cannot be sent again, nor recovered.
    const detail = await request(api.http)
      .get(`/webhooks/${bobs.id}/deliveries/${doneAttempt.id}`)
      .set(bob.auth)
      .expect(200);
    expect(detail.body.request.body).toBeNull();
    await request(api.http)
      .post(`/webhooks/${bobs.id}/deliveries/${doneAttempt.id}/redeliver`)
      .set(bob.auth)
      .expect(409, {
        code: 409,
        message: "This delivery's event was erased (DELETE /users/{userId}/data): it is not sent again",
      });
    await request(api.http)
      .post(`/webhooks/${bobs.id}/recover`)
      .set(bob.auth)
      .send({ since: new Date(Date.now() - 60_000).toISOString() })
      .expect(202, { deliveries: 0 });

    expect((await erase(alice.sub, alice.auth).expect(200)).body).toEqual({ ...ZEROS, userId: alice.sub });
  });

  it('a redelivery reads the attempt and whether its event was erased in one statement', async () => {
    const bob = user();
    const bobs = await createWebhook(api.http, bob.auth);
    const [kept, erased] = [randomUUID(), randomUUID()];
    await seed(db, bobs.id, [
      { eventId: kept, status: 'succeeded', attempts: 1 },
      { eventId: erased, status: 'succeeded', attempts: 1 },
    ]);
    await db.query(`UPDATE events SET body = '', erased_at = now() WHERE id = $1`, [erased]);
    const attemptOf = async (eventId: string) =>
      (
        await db.query<Array<{ id: string }>>('SELECT id FROM delivery_attempts WHERE event_id = $1', [
          eventId,
        ])
      )[0].id;
    const [keptAttempt, erasedAttempt] = [await attemptOf(kept), await attemptOf(erased)];
    // Every statement the API sends meanwhile (the driver's own calls, passed through), by its text.
    const sent = jest.spyOn(Client.prototype, 'query');
    const reading = () =>
      sent.mock.calls
        .map(([query]) => (typeof query === 'string' ? query : ((query as { text?: string }).text ?? '')))
        .filter((text) => /\b(FROM|JOIN)\s+"?(delivery_attempts|events)\b/i.test(text));
    try {
      await request(api.http)
        .post(`/webhooks/${bobs.id}/deliveries/${erasedAttempt}/redeliver`)
        .set(bob.auth)
        .expect(409);
      expect(reading()).toHaveLength(1);
      sent.mockClear();
      await request(api.http)
        .post(`/webhooks/${bobs.id}/deliveries/${keptAttempt}/redeliver`)
        .set(bob.auth)
        .expect(202);
      expect(reading()).toHaveLength(1);
    } finally {
      sent.mockRestore();
    }
  });

  it("erases the user's portal sessions and links, and no one else's", async () => {
    const portal = await createTestApi({ PUBLIC_BASE_URL: 'https://events.example.com' });
    try {
      const erin = await portalLogin(portal.http);
      await request(portal.http).post('/portal/sessions').set(bearer(erin.token)).expect(201);
      const frank = await portalLogin(portal.http);
      const rows = (sub: string) =>
        db.query<Array<{ sessions: number; links: number }>>(
          `SELECT (SELECT count(*)::int FROM portal_sessions WHERE user_id = $1) AS sessions,
                  (SELECT count(*)::int FROM portal_links WHERE user_id = $1) AS links`,
          [sub],
        );
      expect(await rows(erin.sub)).toEqual([{ sessions: 1, links: 2 }]);

      const response = await request(portal.http)
        .delete(`/users/${erin.sub}/data`)
        .set(bearer(erin.token))
        .expect(200);
      expect(response.body).toEqual({ ...ZEROS, userId: erin.sub, portalSessions: 1, portalLinks: 2 });
      expect(await rows(erin.sub)).toEqual([{ sessions: 0, links: 0 }]);
      await request(portal.http).get('/portal/api/session').set('Cookie', erin.cookie).expect(401);
      expect(await rows(frank.sub)).toEqual([{ sessions: 1, links: 1 }]);
      await request(portal.http).get('/portal/api/session').set('Cookie', frank.cookie).expect(200);
    } finally {
      await portal.close();
    }
  });

  it("for an organization: every webhook delivering its events, whichever member made it; the members' own stay", async () => {
    const org = `org-${randomUUID()}`;
    const alice = user([org]);
    const dave = user([org]);
    const alicesOrgHook = await createWebhook(api.http, alice.auth, { userId: org });
    const davesOrgHook = await createWebhook(api.http, dave.auth, { userId: org });
    const alicesOwn = await createWebhook(api.http, alice.auth);
    const davesOwn = await createWebhook(api.http, dave.auth);
    const event = randomUUID();
    for (const hook of [alicesOrgHook, davesOrgHook, davesOwn]) {
      await seed(db, hook.id, [{ eventId: event, status: 'succeeded', attempts: 1 }]);
    }

    const response = await erase(org, alice.auth).expect(200);

    expect(response.body).toMatchObject({
      userId: org,
      webhooks: 2,
      deliveries: 2,
      attempts: 2,
      // Dave's own webhook's delivery still needs the body.
      events: 0,
    });
    const left = await db.query<Array<{ id: string }>>('SELECT id FROM webhooks WHERE id = ANY($1::uuid[])', [
      [alicesOrgHook.id, davesOrgHook.id, alicesOwn.id, davesOwn.id],
    ]);
    expect(left.map((row) => row.id).sort()).toEqual([alicesOwn.id, davesOwn.id].sort());
    expect(await footprint(db, [davesOwn.id])).toEqual({
      webhooks: 1,
      deliveries: 1,
      attempts: 1,
      events: 1,
    });
  });

  it("refuses another user's or an organization not in the token with 403, and changes nothing", async () => {
    const alice = user();
    const mallory = user([`org-${randomUUID()}`]);
    const webhook = await createWebhook(api.http, alice.auth);
    await seed(db, webhook.id, [{ eventId: randomUUID(), status: 'pending', attempts: 1 }]);
    const before = await footprint(db, [webhook.id]);
    for (const target of [alice.sub, `org-${randomUUID()}`, 'a-user-that-does-not-exist']) {
      const response = await erase(target, mallory.auth).expect(403);
      expect(response.body).toEqual({
        code: 403,
        message: 'userId must be your own user id or one of the organizations in your token',
      });
    }
    expect(await footprint(db, [webhook.id])).toEqual(before);
  });

  it('refuses a webhook.readonly token (403) and a request without a token (401); nothing changes', async () => {
    const sub = `user-${randomUUID()}`;
    const webhook = await createWebhook(api.http, bearer(mintToken({ sub })));
    const readonly = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
    await erase(sub, readonly).expect(403, { code: 403, message: 'Insufficient scope: requires webhook' });
    await erase(sub, {}).expect(401, { code: 401, message: 'Access denied' });
    expect((await footprint(db, [webhook.id])).webhooks).toBe(1);
  });

  it.each([
    ['a control character', '/users/a%01b/data', 'userId must not contain control characters'],
    ['NUL', '/users/a%00b/data', 'userId must not contain control characters'],
    [
      'over 255 characters',
      `/users/${'x'.repeat(256)}/data`,
      'userId must be shorter than or equal to 255 characters',
    ],
  ])('answers 400 ErrorResponse for a userId with %s', async (_name, path, message) => {
    const { auth } = user();
    const response = await request(api.http).delete(path).set(auth).expect(400);
    expect(response.body).toEqual({ code: 400, message, errors: [{ field: 'userId', message }] });
  });

  it.each([
    ['malformed percent-encoding', '/users/%E0%A4%A/data'],
    ['a lone surrogate', '/users/%ED%A0%80/data'],
    ['a bare percent', '/users/100%/data'],
  ])('answers 400 ErrorResponse, never a 500, for %s', async (_name, path) => {
    const { auth } = user();
    const response = await request(api.http).delete(path).set(auth);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 400, message: expect.any(String) });
  });

  it('takes any printable id the token may carry (slashes, spaces, unicode) as it is', async () => {
    for (const sub of ['org/with/slashes', 'name with spaces', 'ünïcødé-😀', 'quote\'"%']) {
      const unique = `${sub}-${randomUUID()}`;
      const auth = bearer(mintToken({ sub: unique }));
      await createWebhook(api.http, auth);
      expect((await erase(unique, auth).expect(200)).body).toMatchObject({ userId: unique, webhooks: 1 });
    }
  });

  it('is in the OpenAPI document: the userId path parameter, and a report schema the answer matches', async () => {
    type Schema = { properties: Record<string, unknown>; required?: string[] };
    const document = (await request(api.http).get('/openapi.json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { parameters: Array<{ name: string; in: string; required: boolean }> }>
      >;
      components: { schemas: Record<string, Schema> };
    };
    const operation = document.paths['/users/{userId}/data']?.delete;
    expect(operation.parameters).toEqual([
      expect.objectContaining({ name: 'userId', in: 'path', required: true }),
    ]);
    const schema = document.components.schemas.ErasureReport;
    const { sub, auth } = user();
    const answer = (await erase(sub, auth).expect(200)).body as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(Object.keys(schema.properties).sort());
    expect([...(schema.required ?? [])].sort()).toEqual(Object.keys(answer).sort());
  });

  describe('lifecycle events not sent yet (Redis unreachable, a database of its own)', () => {
    let offline: TestApi;
    let databaseUrl: string;
    let offlineDb: DataSource;
    beforeAll(async () => {
      databaseUrl = await createTestDatabase();
      offline = await createTestApi({
        DATABASE_URL: databaseUrl,
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}:erasure-offline`,
      });
      offlineDb = offline.app.get(DataSource);
    });
    afterAll(async () => {
      await offline.close();
      await dropTestDatabase(databaseUrl);
    });

    it('removes them unsent, publishes nothing about the erasure, and leaves other owners’ alone', async () => {
      const org = `org-${randomUUID()}`;
      const alice = user([org]);
      const bob = user([org]);
      const own = await createWebhook(offline.http, alice.auth);
      await request(offline.http)
        .put(`/webhooks/${own.id}`)
        .set(alice.auth)
        .send({ active: false })
        .expect(200);
      // Bob's webhook for the organization: its webhook.created is about a webhook the erasure removes.
      const bobsForOrg = await createWebhook(offline.http, bob.auth, { userId: org });
      await createWebhook(offline.http, bob.auth);
      const outbox = () =>
        offlineDb.query<Array<{ owner: string; name: string; resource: string }>>(
          `SELECT envelope->>'ownerId' AS owner, envelope->>'name' AS name, envelope->'resource'->>'id' AS resource
             FROM event_outbox ORDER BY created_at`,
        );
      expect((await outbox()).filter((row) => row.owner === alice.sub)).toHaveLength(2);

      const first = await request(offline.http)
        .delete(`/users/${alice.sub}/data`)
        .set(alice.auth)
        .expect(200);
      expect(first.body).toMatchObject({ webhooks: 1, lifecycleEvents: 2 });
      const second = await request(offline.http).delete(`/users/${org}/data`).set(bob.auth).expect(200);
      expect(second.body).toMatchObject({ webhooks: 1, lifecycleEvents: 1 });

      const left = await outbox();
      expect(left.filter((row) => row.owner === alice.sub)).toEqual([]);
      expect(left.filter((row) => row.resource === bobsForOrg.id)).toEqual([]);
      // Bob's own webhook's webhook.created stays, and no webhook.deleted was written.
      expect(left).toEqual([{ owner: bob.sub, name: 'webhook.created', resource: expect.any(String) }]);
    });
  });
});
