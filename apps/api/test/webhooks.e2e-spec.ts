import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const API_ID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('Webhooks CRUD (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
  });
  afterAll(() => api.close());

  const user = (claims: Parameters<typeof mintToken>[0] = {}) => {
    const sub = `user-${Math.random().toString(36).slice(2)}`;
    return { sub, auth: bearer(mintToken({ sub, nickname: 'jdoe', ...claims })) };
  };
  const create = (auth: Record<string, string>, body: object) =>
    request(api.http).post('/webhooks').set(auth).send(body);

  it('creates a webhook with defaults, a secret and the owner from the token', async () => {
    const { sub, auth } = user();
    const response = await create(auth, {
      url: 'https://example.com/hook',
      events: [{ name: 'api.created' }, { name: 'release.released' }],
    }).expect(201);
    expect(response.body).toMatchObject({
      user: { id: sub, nickname: 'jdoe' },
      userId: sub,
      apiId: null,
      url: 'https://example.com/hook',
      events: [{ name: 'api.created' }, { name: 'release.released' }],
      active: true,
      custom: null,
      lastDelivery: null,
      disabledReason: null,
    });
    expect(response.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Buffer.from(response.body.secret.replace(/^whsec_/, ''), 'base64')).toHaveLength(32);
    expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(new Date(response.body.createdAt).toISOString()).toBe(response.body.createdAt);
    expect(response.body.updatedAt).toBe(response.body.createdAt);
  });

  it('gets, lists newest first, updates and deletes', async () => {
    const { auth } = user();
    const first = (
      await create(auth, { url: 'https://a.example/1', events: [{ name: 'api.created' }] }).expect(201)
    ).body;
    const second = (
      await create(auth, {
        url: 'https://a.example/2',
        events: [{ name: 'plan.created' }],
        apiId: API_ID,
        custom: '{"a":1}',
      }).expect(201)
    ).body;

    const fetched = await request(api.http).get(`/webhooks/${first.id}`).set(auth).expect(200);
    expect(fetched.body).toEqual(first);

    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body.map((w: { id: string }) => w.id)).toEqual([second.id, first.id]);

    const updated = await request(api.http)
      .put(`/webhooks/${first.id}`)
      .set(auth)
      .send({ url: 'https://a.example/changed', active: false, custom: '[1,2]' })
      .expect(200);
    expect(updated.body).toMatchObject({
      id: first.id,
      url: 'https://a.example/changed',
      active: false,
      custom: '[1,2]',
      events: [{ name: 'api.created' }],
      secret: first.secret,
    });
    expect(Date.parse(updated.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));

    await request(api.http).delete(`/webhooks/${first.id}`).set(auth).expect(204, '');
    await request(api.http)
      .get(`/webhooks/${first.id}`)
      .set(auth)
      .expect(404, { code: 404, message: 'Webhook not found' });
    await request(api.http).delete(`/webhooks/${first.id}`).set(auth).expect(404);
    const after = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(after.body.map((w: { id: string }) => w.id)).toEqual([second.id]);
  });

  it('PUT ignores read-only fields (a GET response sent back) and clears nullable fields with null', async () => {
    const { auth } = user();
    const created = (
      await create(auth, {
        url: 'https://b.example/',
        events: [{ name: 'api.created' }],
        apiId: API_ID,
        custom: '{}',
      }).expect(201)
    ).body;
    const echoed = {
      ...created,
      id: 'not-the-id',
      secret: 'whsec_forged',
      createdAt: '2000-01-01T00:00:00Z',
      lastDelivery: { success: true },
      disabledReason: 'gone',
      user: { id: 'someone-else' },
      apiId: null,
      custom: null,
    };
    const response = await request(api.http)
      .put(`/webhooks/${created.id}`)
      .set(auth)
      .send(echoed)
      .expect(200);
    expect(response.body).toMatchObject({
      id: created.id,
      secret: created.secret,
      createdAt: created.createdAt,
      lastDelivery: null,
      disabledReason: null,
      user: created.user,
      apiId: null,
      custom: null,
    });
  });

  it('PUT rejects unknown fields and explicit nulls for required fields without changing anything', async () => {
    const { auth } = user();
    const created = (
      await create(auth, { url: 'https://c.example/', events: [{ name: 'api.created' }] }).expect(201)
    ).body;
    const unknown = await request(api.http)
      .put(`/webhooks/${created.id}`)
      .set(auth)
      .send({ url: 'https://c.example/new', colour: 'red' })
      .expect(400);
    expect(unknown.body).toMatchObject({ code: 400, errors: [{ field: 'colour' }] });
    await request(api.http).put(`/webhooks/${created.id}`).set(auth).send({ url: null }).expect(400);
    await request(api.http).put(`/webhooks/${created.id}`).set(auth).send({ events: null }).expect(400);
    await request(api.http).put(`/webhooks/${created.id}`).set(auth).send({ active: 'yes' }).expect(400);
    const unchanged = await request(api.http).get(`/webhooks/${created.id}`).set(auth).expect(200);
    expect(unchanged.body).toEqual(created);
  });

  it('filters the list by apiId, userId and eventName, combined with AND', async () => {
    const { sub, auth } = user({ orgs: ['org-1'] });
    const a = (
      await create(auth, {
        url: 'https://f.example/a',
        events: [{ name: 'api.created' }],
        apiId: API_ID,
      }).expect(201)
    ).body;
    const b = (
      await create(auth, {
        url: 'https://f.example/b',
        events: [{ name: 'api.deleted' }, { name: 'api.created' }],
        userId: 'org-1',
      }).expect(201)
    ).body;
    const c = (
      await create(auth, { url: 'https://f.example/c', events: [{ name: 'plan.created' }] }).expect(201)
    ).body;
    const ids = async (query: string) =>
      (await request(api.http).get(`/webhooks${query}`).set(auth).expect(200)).body.map(
        (w: { id: string }) => w.id,
      );
    expect(await ids(`?apiId=${API_ID}`)).toEqual([a.id]);
    expect(await ids('?userId=org-1')).toEqual([b.id]);
    expect(await ids(`?userId=${sub}`)).toEqual([c.id, a.id]);
    expect(await ids('?eventName=api.created')).toEqual([b.id, a.id]);
    expect(await ids(`?eventName=api.created&userId=${sub}`)).toEqual([a.id]);
    expect(await ids('?eventName=release.created')).toEqual([]);
    await request(api.http).get('/webhooks?apiId=nope').set(auth).expect(400);
    await request(api.http).get('/webhooks?eventName=nope.nope').set(auth).expect(400);
  });

  it('lets userId be the caller or one of the token orgs, else 403', async () => {
    const { auth } = user({ orgs: ['org-a', 'org-b'] });
    const ok = await create(auth, {
      url: 'https://o.example/',
      events: [{ name: 'api.created' }],
      userId: 'org-b',
    }).expect(201);
    expect(ok.body.userId).toBe('org-b');
    const denied = await create(auth, {
      url: 'https://o.example/',
      events: [{ name: 'api.created' }],
      userId: 'org-c',
    }).expect(403);
    expect(denied.body).toEqual({ code: 403, message: expect.stringContaining('userId') });
    await request(api.http).put(`/webhooks/${ok.body.id}`).set(auth).send({ userId: 'someone' }).expect(403);
    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body).toHaveLength(1);
  });

  it("hides other users' webhooks (404) and treats malformed ids as not found", async () => {
    const owner = user();
    const stranger = user();
    const created = (
      await create(owner.auth, { url: 'https://p.example/', events: [{ name: 'api.created' }] }).expect(201)
    ).body;
    await request(api.http).get(`/webhooks/${created.id}`).set(stranger.auth).expect(404);
    await request(api.http)
      .put(`/webhooks/${created.id}`)
      .set(stranger.auth)
      .send({ active: false })
      .expect(404);
    await request(api.http).delete(`/webhooks/${created.id}`).set(stranger.auth).expect(404);
    expect((await request(api.http).get('/webhooks').set(stranger.auth).expect(200)).body).toEqual([]);
    await request(api.http).get('/webhooks/not-a-uuid').set(owner.auth).expect(404);
    await request(api.http).get(`/webhooks/${created.id}'%20OR%201=1`).set(owner.auth).expect(404);
    await request(api.http)
      .delete('/webhooks/00000000-0000-4000-8000-000000000000')
      .set(owner.auth)
      .expect(404);
    const still = await request(api.http).get(`/webhooks/${created.id}`).set(owner.auth).expect(200);
    expect(still.body.active).toBe(true);
  });

  it('webhook.readonly can list and get, without secrets, and cannot write', async () => {
    const sub = `user-${Date.now()}`;
    const writer = bearer(mintToken({ sub, scope: 'webhook' }));
    const reader = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
    const created = (
      await create(writer, { url: 'https://r.example/', events: [{ name: 'api.created' }] }).expect(201)
    ).body;
    const one = await request(api.http).get(`/webhooks/${created.id}`).set(reader).expect(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(one.body.id).toBe(created.id);
    const list = await request(api.http).get('/webhooks').set(reader).expect(200);
    expect(list.body[0]).not.toHaveProperty('secret');
    await create(reader, { url: 'https://r.example/', events: [{ name: 'api.created' }] }).expect(403);
    await request(api.http).put(`/webhooks/${created.id}`).set(reader).send({ active: false }).expect(403);
    await request(api.http).delete(`/webhooks/${created.id}`).set(reader).expect(403);
    expect((await request(api.http).get(`/webhooks/${created.id}`).set(writer).expect(200)).body.active).toBe(
      true,
    );
  });

  it('re-activating clears the failure streak and disabledReason', async () => {
    const { auth } = user();
    const created = (
      await create(auth, { url: 'https://d.example/', events: [{ name: 'api.created' }] }).expect(201)
    ).body;
    await api.app
      .get(DataSource)
      .query(
        `UPDATE webhooks SET active = false, disabled_reason = 'gone', failing_since = now() WHERE id = $1`,
        [created.id],
      );
    const disabled = await request(api.http).get(`/webhooks/${created.id}`).set(auth).expect(200);
    expect(disabled.body).toMatchObject({ active: false, disabledReason: 'gone' });
    const reactivated = await request(api.http)
      .put(`/webhooks/${created.id}`)
      .set(auth)
      .send({ active: true })
      .expect(200);
    expect(reactivated.body).toMatchObject({ active: true, disabledReason: null });
    const [row] = await api.app
      .get(DataSource)
      .query('SELECT failing_since FROM webhooks WHERE id = $1', [created.id]);
    expect(row.failing_since).toBeNull();
  });

  it('a new url makes the endpoint unproven again; other changes, and the same url, keep its first success', async () => {
    const { auth } = user();
    const created = (
      await create(auth, { url: 'https://p.example/hook', events: [{ name: 'api.created' }] }).expect(201)
    ).body;
    const db = api.app.get(DataSource);
    const firstSuccess = async () =>
      (await db.query('SELECT first_success_at FROM webhooks WHERE id = $1', [created.id]))[0]
        .first_success_at as Date | null;
    expect(await firstSuccess()).toBeNull();
    await db.query(`UPDATE webhooks SET first_success_at = now() - interval '1 day' WHERE id = $1`, [
      created.id,
    ]);
    const put = (body: object) =>
      request(api.http).put(`/webhooks/${created.id}`).set(auth).send(body).expect(200);
    await put({ url: 'https://p.example/hook', custom: '{"a":1}', events: [{ name: 'plan.created' }] });
    await put({ active: false });
    await put({ active: true });
    expect(await firstSuccess()).toEqual(expect.any(Date));
    await put({ url: 'https://p.example/other' });
    expect(await firstSuccess()).toBeNull();
  });
});
