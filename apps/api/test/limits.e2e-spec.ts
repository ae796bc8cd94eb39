import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const BODY = { url: 'https://limit.example/hook', events: [{ name: 'api.created' }] };

describe('Per-user webhook limit (e2e)', () => {
  let api: TestApi;
  // Not a URL test: skip the DNS check, which is slow for 50 parallel unresolvable names here.
  beforeAll(async () => {
    api = await createTestApi({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
  });
  afterAll(() => api.close());

  it('50 concurrent creates for one user leave exactly 30; the rest get 409', async () => {
    const auth = bearer(mintToken({ sub: `racer-${Date.now()}` }));
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => request(api.http).post('/webhooks').set(auth).send(BODY)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(30);
    expect(statuses.filter((status) => status === 409)).toHaveLength(20);
    const conflict = responses.find((response) => response.status === 409);
    expect(conflict?.body).toEqual({ code: 409, message: expect.stringContaining('30') });
    const list = await request(api.http).get('/webhooks').set(auth).expect(200);
    expect(list.body).toHaveLength(30);
  });

  it('the limit counts the owner, not userId, and deleting frees a slot', async () => {
    const sub = `owner-${Date.now()}`;
    const auth = bearer(mintToken({ sub, orgs: ['org-x'] }));
    const limited = await createTestApi({
      WEBHOOK_LIMIT_PER_USER: '2',
      DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    try {
      const first = await request(limited.http).post('/webhooks').set(auth).send(BODY).expect(201);
      await request(limited.http)
        .post('/webhooks')
        .set(auth)
        .send({ ...BODY, userId: 'org-x' })
        .expect(201);
      await request(limited.http).post('/webhooks').set(auth).send(BODY).expect(409);
      // Another user is unaffected.
      await request(limited.http).post('/webhooks').set(bearer(mintToken())).send(BODY).expect(201);
      await request(limited.http).delete(`/webhooks/${first.body.id}`).set(auth).expect(204);
      await request(limited.http).post('/webhooks').set(auth).send(BODY).expect(201);
    } finally {
      await limited.close();
    }
  });
});
