import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, createWebhook, mintToken, waitUntil } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const JWK_KEYS = ['alg', 'crv', 'kid', 'kty', 'use', 'x'];
const NOT_SIGNED = { code: 404, message: 'Webhook not found, or its deliveries are not signed with Ed25519' };

/** `whpk_` (standard base64) → the JWK's `x` (base64url), computed here rather than by the service. */
const xOf = (whpk: string) => Buffer.from(whpk.slice('whpk_'.length), 'base64').toString('base64url');

/**
 * `signing: ed25519` through the API (README → Verifying Ed25519 signatures): the key pair sealed at
 * rest, the public key shown as `secret`, and the public JWKS route with rotation overlap and expiry.
 */
describe('Ed25519 signing and the JWKS (e2e)', () => {
  const key = randomBytes(32);
  let api: TestApi;
  let shortOverlap: TestApi;
  let dataSource: DataSource;

  beforeAll(async () => {
    api = await createTestApi({ SECRETS_ENCRYPTION_KEY: key.toString('base64') });
    shortOverlap = await createTestApi({
      SECRETS_ENCRYPTION_KEY: key.toString('base64'),
      SECRET_ROTATION_OVERLAP: '2s',
    });
    dataSource = api.app.get(DataSource);
  });
  afterAll(async () => {
    await api.close();
    await shortOverlap.close();
  });

  const user = (scope = 'webhook') => {
    const sub = `user-${Math.random().toString(36).slice(2)}`;
    return { sub, auth: bearer(mintToken({ sub, scope })) };
  };
  const storedRow = async (id: string) => {
    const [row] = await dataSource.query<
      Array<{ signing: string; secret: string; previous_secret: string | null; public_key: string | null }>
    >('SELECT signing, secret, previous_secret, public_key FROM webhooks WHERE id = $1', [id]);
    return row;
  };
  const jwks = (id: string, http = api.http) => request(http).get(`/webhooks/${id}/jwks`);

  it('creates with signing ed25519: secret is the whpk_ public key; the private key is sealed at rest', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth, { signing: 'ed25519' });
    expect(webhook.signing).toBe('ed25519');
    expect(webhook.secret).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const row = await storedRow(webhook.id);
    expect(row.signing).toBe('ed25519');
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.public_key).toBe(xOf(webhook.secret));
    const fetched = await request(api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    expect(fetched.body).toMatchObject({ signing: 'ed25519', secret: webhook.secret });
    expect(JSON.stringify(fetched.body)).not.toContain('whsk_');
  });

  it('defaults to hmac-sha256 and shows it; a readonly token sees signing but no secret', async () => {
    const { sub, auth } = user();
    const webhook = await createWebhook(api.http, auth);
    expect(webhook).toMatchObject({ signing: 'hmac-sha256' });
    expect(webhook.secret).toMatch(/^whsec_/);
    const readonly = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
    const ed = await createWebhook(api.http, auth, { signing: 'ed25519' });
    const seen = await request(api.http).get(`/webhooks/${ed.id}`).set(readonly).expect(200);
    expect(seen.body.signing).toBe('ed25519');
    expect(seen.body).not.toHaveProperty('secret');
  });

  it.each([
    ['rsa', 'rsa'],
    ['empty', ''],
    ['null', null],
    ['a number', 1],
    ['an array', ['ed25519']],
    ['an object', { a: 1 }],
    ['another case', 'ED25519'],
    ['100,000 characters', 'x'.repeat(100_000)],
  ])('refuses signing: %s with a 400 naming the field, creating nothing', async (_label, signing) => {
    const { auth } = user();
    const response = await request(api.http)
      .post('/webhooks')
      .set(auth)
      .send({ url: 'https://receiver.example/hook', events: [{ name: 'api.created' }], signing });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 400, errors: [{ field: 'signing' }] });
    expect(response.body.errors[0].message).toContain('hmac-sha256, ed25519');
    expect((await request(api.http).get('/webhooks').set(auth).expect(200)).body).toEqual([]);
  });

  it('serves the JWKS without a token: the current key, cacheable, nothing private', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth, { signing: 'ed25519' });
    const response = await jwks(webhook.id).expect(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.keys).toHaveLength(1);
    const [jwk] = response.body.keys;
    expect(Object.keys(jwk).sort()).toEqual(JWK_KEYS);
    expect(jwk).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      use: 'sig',
      alg: 'EdDSA',
      x: xOf(webhook.secret),
    });
    expect(jwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // With an (irrelevant) token it is the same answer.
    const withToken = await jwks(webhook.id).set(auth).expect(200);
    expect(withToken.body).toEqual(response.body);
  });

  it('answers 404 in the ErrorResponse shape for a non-uuid, unknown or HMAC webhook', async () => {
    const { auth } = user();
    const hmac = await createWebhook(api.http, auth);
    for (const id of [
      'not-a-uuid',
      "1' OR '1'='1",
      '%00',
      'x'.repeat(5000),
      '3d1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      hmac.id,
    ]) {
      const response = await jwks(encodeURIComponent(id)).expect(404);
      expect(response.body).toEqual(NOT_SIGNED);
    }
    // A path Express cannot decode is a 400 in the same shape, never a 500.
    const malformed = await jwks('%E0%A4%A').expect(400);
    expect(malformed.body).toMatchObject({ code: 400 });
  });

  it('rotation: the new key first, the previous one listed while it signs, then gone', async () => {
    const { auth } = user();
    const webhook = await createWebhook(shortOverlap.http, auth, { signing: 'ed25519' });
    const rotated = await request(shortOverlap.http)
      .post(`/webhooks/${webhook.id}/secret`)
      .set(auth)
      .expect(200);
    expect(Object.keys(rotated.body)).toEqual(['secret']);
    expect(rotated.body.secret).toMatch(/^whpk_/);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    const during = await jwks(webhook.id, shortOverlap.http).expect(200);
    expect(during.body.keys.map((k: { x: string }) => k.x)).toEqual([
      xOf(rotated.body.secret),
      xOf(webhook.secret),
    ]);
    expect(new Set(during.body.keys.map((k: { kid: string }) => k.kid)).size).toBe(2);
    const row = await storedRow(webhook.id);
    expect(row.previous_secret).toMatch(/^enc:v1:/);
    const after = await waitUntil(
      async () => {
        const { body } = await jwks(webhook.id, shortOverlap.http).expect(200);
        return body.keys.length === 1 && body;
      },
      10_000,
      'the previous key to leave the JWKS',
    );
    expect(after.keys[0].x).toBe(xOf(rotated.body.secret));
  });

  it('rotating needs the webhook scope; a readonly token changes nothing', async () => {
    const { sub, auth } = user();
    const webhook = await createWebhook(api.http, auth, { signing: 'ed25519' });
    const readonly = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
    const refused = await request(api.http).post(`/webhooks/${webhook.id}/secret`).set(readonly).expect(403);
    expect(refused.body.code).toBe(403);
    expect((await jwks(webhook.id).expect(200)).body.keys).toHaveLength(1);
    const refusedPut = await request(api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(readonly)
      .send({ signing: 'hmac-sha256' })
      .expect(403);
    expect(refusedPut.body.code).toBe(403);
    expect((await storedRow(webhook.id)).signing).toBe('ed25519');
  });

  it('switching signing on PUT is a rotation into the other kind; the old one overlaps', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth);
    const switched = await request(api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ signing: 'ed25519' })
      .expect(200);
    expect(switched.body).toMatchObject({ signing: 'ed25519' });
    expect(switched.body.secret).toMatch(/^whpk_/);
    // The HMAC secret keeps signing for the overlap, but has no public key: one key listed.
    const listed = await jwks(webhook.id).expect(200);
    expect(listed.body.keys.map((k: { x: string }) => k.x)).toEqual([xOf(switched.body.secret)]);
    const [row] = await dataSource.query<Array<{ previous_secret: string; previous_public_key: null }>>(
      'SELECT previous_secret, previous_public_key FROM webhooks WHERE id = $1',
      [webhook.id],
    );
    expect(row.previous_public_key).toBeNull();
    expect(row.previous_secret).toMatch(/^enc:v1:/);

    // The same value again changes nothing.
    const same = await request(api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ signing: 'ed25519' })
      .expect(200);
    expect(same.body.secret).toBe(switched.body.secret);

    // And back: a fresh HMAC secret; the Ed25519 key still signs for the overlap, so it stays listed.
    const back = await request(api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ signing: 'hmac-sha256' })
      .expect(200);
    expect(back.body.signing).toBe('hmac-sha256');
    expect(back.body.secret).toMatch(/^whsec_/);
    expect(back.body.secret).not.toBe(webhook.secret);
    const overlapping = await jwks(webhook.id).expect(200);
    expect(overlapping.body.keys.map((k: { x: string }) => k.x)).toEqual([xOf(switched.body.secret)]);
  });

  it('a GET response sent back as a PUT body keeps the key pair', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth, { signing: 'ed25519' });
    const { body } = await request(api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    const put = await request(api.http).put(`/webhooks/${webhook.id}`).set(auth).send(body).expect(200);
    expect(put.body.secret).toBe(webhook.secret);
    expect((await jwks(webhook.id).expect(200)).body.keys).toHaveLength(1);
  });
});
