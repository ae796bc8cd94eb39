import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const HOOK = { url: 'https://hooks.example.com/in', events: [{ name: 'api.created' }] };

/** README → API → Entitlements: what a token entitles to is checked when written and when managed. */
describe('Entitlements (e2e)', () => {
  describe('organization membership', () => {
    let api: TestApi;
    let db: DataSource;
    beforeAll(async () => {
      api = await createTestApi();
      db = api.app.get(DataSource);
    });
    afterAll(() => api.close());

    /** A user who created a webhook for `org`, and the same user's tokens with and without it. */
    async function orgWebhook() {
      const sub = `member-${randomUUID()}`;
      const org = `org-${randomUUID()}`;
      const member = bearer(mintToken({ sub, orgs: [org] }));
      const leaver = bearer(mintToken({ sub, orgs: [] }));
      const created = await createWebhook(api.http, member, { ...HOOK, userId: org });
      const own = await createWebhook(api.http, member, HOOK);
      return { sub, org, member, leaver, id: created.id, ownId: own.id };
    }

    it('a token that no longer lists the organization switches its webhooks off, and only those', async () => {
      const { leaver, id, ownId } = await orgWebhook();
      const listed = await request(api.http).get('/webhooks').set(leaver).expect(200);
      const byId = new Map(listed.body.map((webhook: { id: string }) => [webhook.id, webhook]));
      expect(byId.get(id)).toMatchObject({ active: false, disabledReason: 'membership' });
      expect(byId.get(ownId)).toMatchObject({ active: true, disabledReason: null });
      // The webhook.disabled notice to the owner's own webhooks: test/pipeline/membership.e2e-spec.ts.
    });

    it.each([
      ['PUT a new url', 'put', '', { url: 'https://attacker.example/x' }],
      ['PUT active: true', 'put', '', { active: true }],
      ['ping', 'post', '/ping', undefined],
      ['recover', 'post', '/recover', { since: new Date(Date.now() - 60_000).toISOString() }],
      ['rotate the secret', 'post', '/secret', undefined],
    ] as Array<[string, 'put' | 'post', string, object | undefined]>)(
      '%s: 403 and nothing changes',
      async (_name, method, suffix, body) => {
        const { leaver, id } = await orgWebhook();
        const before = await db.query('SELECT url, active, secret, updated_at FROM webhooks WHERE id = $1', [
          id,
        ]);
        const response = await request(api.http)
          [method](`/webhooks/${id}${suffix}`)
          .set(leaver)
          .send(body)
          .expect(403);
        expect(response.body).toEqual({
          code: 403,
          message: expect.stringMatching(/no longer lists organization/),
        });
        const after = await db.query('SELECT url, active, secret, updated_at FROM webhooks WHERE id = $1', [
          id,
        ]);
        expect(after).toEqual(
          before.map((row: object) => ({ ...row, active: false, updated_at: expect.any(Date) })),
        );
        expect(after[0].url).toBe(HOOK.url);
      },
    );

    it('viewing and deleting stay allowed', async () => {
      const { leaver, id } = await orgWebhook();
      await request(api.http).get(`/webhooks/${id}`).set(leaver).expect(200);
      await request(api.http).get(`/webhooks/${id}/deliveries`).set(leaver).expect(200);
      await request(api.http).delete(`/webhooks/${id}`).set(leaver).expect(204);
    });

    it('back in the organization, the owner may switch it on again', async () => {
      const { member, leaver, id } = await orgWebhook();
      await request(api.http).get(`/webhooks/${id}`).set(leaver).expect(200);
      const again = await request(api.http)
        .put(`/webhooks/${id}`)
        .set(member)
        .send({ active: true })
        .expect(200);
      expect(again.body).toMatchObject({ active: true, disabledReason: null });
    });

    it('a member is never switched off', async () => {
      const { member, id } = await orgWebhook();
      await request(api.http).put(`/webhooks/${id}`).set(member).send({ custom: '{"a":1}' }).expect(200);
      const got = await request(api.http).get(`/webhooks/${id}`).set(member).expect(200);
      expect(got.body).toMatchObject({ active: true, disabledReason: null, custom: '{"a":1}' });
    });
  });

  describe('apiId without a Core-API', () => {
    it('refused with 403 when the deployment does not accept unchecked apiIds; other webhooks unaffected', async () => {
      const api = await createTestApi({ ALLOW_UNCHECKED_API_IDS: 'false' });
      try {
        const auth = bearer(mintToken({ sub: `no-core-${randomUUID()}` }));
        const refused = await request(api.http)
          .post('/webhooks')
          .set(auth)
          .send({ ...HOOK, apiId: randomUUID() })
          .expect(403);
        expect(refused.body).toEqual({
          code: 403,
          message: expect.stringMatching(/cannot check access to APIs/),
        });
        const created = await request(api.http).post('/webhooks').set(auth).send(HOOK).expect(201);
        await request(api.http)
          .put(`/webhooks/${created.body.id}`)
          .set(auth)
          .send({ apiId: randomUUID() })
          .expect(403);
        await request(api.http).get('/webhooks').set(auth).expect(200);
      } finally {
        await api.close();
      }
    });
  });

  describe('apiId access rechecked when managed', () => {
    let allowed = true;
    const coreApi = new HttpReceiver((_incoming, response) => {
      response.statusCode = allowed ? 200 : 403;
      response.end('{}');
    });
    let api: TestApi;
    beforeAll(async () => {
      api = await createTestApi({ CORE_API_URL: await coreApi.start() });
    });
    afterAll(async () => {
      await api.close();
      await coreApi.stop();
    });

    it('a caller who lost access to the API may not update, rotate or replay; replacing the apiId is checked instead', async () => {
      allowed = true;
      const auth = bearer(mintToken({ sub: `api-${randomUUID()}` }));
      const created = await request(api.http)
        .post('/webhooks')
        .set(auth)
        .send({ ...HOOK, apiId: randomUUID() })
        .expect(201);
      allowed = false;
      await request(api.http)
        .put(`/webhooks/${created.body.id}`)
        .set(auth)
        .send({ custom: '{}' })
        .expect(403);
      await request(api.http).post(`/webhooks/${created.body.id}/secret`).set(auth).expect(403);
      // A ping carries no API data: membership only.
      await request(api.http).post(`/webhooks/${created.body.id}/ping`).set(auth).expect(202);
      const cleared = await request(api.http)
        .put(`/webhooks/${created.body.id}`)
        .set(auth)
        .send({ apiId: null })
        .expect(200);
      expect(cleared.body.apiId).toBeNull();
    });
  });
});
