import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { bearer, mintToken, TEST_JWT_SECRET, unsignedToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const ACCESS_DENIED = { code: 401, message: 'Access denied' };

describe('Authentication and scopes (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api.close());

  const get = (headers: Record<string, string>) => request(api.http).get('/webhooks').set(headers);

  it('accepts a valid HS256 token with the webhook scope', async () => {
    await get(bearer(mintToken())).expect(200, []);
  });

  it.each([
    ['no Authorization header', {}],
    ['a non-Bearer scheme', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['a malformed token', { Authorization: 'Bearer not.a.jwt' }],
    [
      'a token signed with the wrong key',
      bearer(mintToken({}, { key: 'wrong-secret-wrong-secret-wrong-secret' })),
    ],
    ['alg: none', bearer(unsignedToken({ sub: 'attacker', scope: 'webhook' }))],
    // Past the 30 s of clock tolerance.
    ['an expired token', bearer(mintToken({}, { expiresIn: -60 }))],
    ['a token without sub', bearer(mintToken({ sub: undefined }))],
    ['a token with an empty sub', bearer(mintToken({ sub: '' }))],
    ['a token not yet valid', bearer(mintToken({}, { notBefore: 3600 }))],
  ])('rejects %s with 401 Access denied', async (_name, headers) => {
    await get(headers as Record<string, string>).expect(401, ACCESS_DENIED);
  });

  it('rejects an RS256 token when the key is an HS256 secret (algorithm pinned)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = mintToken(
      {},
      { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'RS256' },
    );
    await get(bearer(token)).expect(401, ACCESS_DENIED);
  });

  it('rejects an HS384 token signed with the right secret (only HS256 is accepted)', async () => {
    await get(bearer(mintToken({}, { algorithm: 'HS384', key: TEST_JWT_SECRET }))).expect(401, ACCESS_DENIED);
  });

  it.each([['webhooks'], ['WEBHOOK'], ['webhook.read'], ['api'], ['']])(
    'answers 403 for scope "%s"',
    async (scope) => {
      const response = await get(bearer(mintToken({ scope }))).expect(403);
      expect(response.body).toEqual({ code: 403, message: expect.stringContaining('scope') });
    },
  );

  it('never treats webhook.readonly as webhook', async () => {
    const token = bearer(mintToken({ scope: 'webhook.readonly' }));
    await get(token).expect(200);
    await request(api.http)
      .post('/webhooks')
      .set(token)
      .send({ url: 'https://x.example/', events: [{ name: 'api.created' }] })
      .expect(403);
  });

  it('accepts scopes from an scp array and among other scopes', async () => {
    await get(bearer(mintToken({ scope: undefined, scp: ['openid', 'webhook'] }))).expect(200);
    await get(bearer(mintToken({ scope: 'openid  profile webhook.readonly' }))).expect(200);
  });

  it('protects /events but not /health, /openapi.json and /docs', async () => {
    await request(api.http).get('/events').expect(401, ACCESS_DENIED);
    await request(api.http).get('/health').expect(200);
    await request(api.http).get('/openapi.json').expect(200);
    await request(api.http).get('/docs').expect(200);
  });
});

describe('Authentication with issuer, audience and public keys (e2e)', () => {
  it('checks iss and aud when configured', async () => {
    const api = await createTestApi({
      JWT_ISSUER: 'https://auth.apitree.example',
      JWT_AUDIENCE: 'event-api',
    });
    try {
      const good = mintToken({}, { issuer: 'https://auth.apitree.example', audience: 'event-api' });
      await request(api.http).get('/webhooks').set(bearer(good)).expect(200);
      const wrongIssuer = mintToken({}, { issuer: 'https://evil.example', audience: 'event-api' });
      await request(api.http).get('/webhooks').set(bearer(wrongIssuer)).expect(401, ACCESS_DENIED);
      const wrongAudience = mintToken({}, { issuer: 'https://auth.apitree.example', audience: 'other' });
      await request(api.http).get('/webhooks').set(bearer(wrongAudience)).expect(401, ACCESS_DENIED);
      await request(api.http).get('/webhooks').set(bearer(mintToken())).expect(401, ACCESS_DENIED);
    } finally {
      await api.close();
    }
  });

  it.each([
    ['rsa', 'RS256', { modulusLength: 2048 }],
    ['ec', 'ES256', { namedCurve: 'P-256' }],
  ] as const)(
    'verifies %s tokens with JWT_PUBLIC_KEY (%s) and refuses HS256 forged with the public key',
    async (type, algorithm, options) => {
      const { privateKey, publicKey } = generateKeyPairSync(
        type as 'rsa',
        options as { modulusLength: number },
      );
      const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const api = await createTestApi({ JWT_SECRET: '', JWT_PUBLIC_KEY: publicPem });
      try {
        const signed = mintToken(
          {},
          { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm },
        );
        await request(api.http).get('/webhooks').set(bearer(signed)).expect(200);
        // The classic key-confusion attack: HMAC-sign with the public key as the secret.
        const confused = mintToken({}, { key: Buffer.from(publicPem), algorithm: 'HS256' });
        await request(api.http).get('/webhooks').set(bearer(confused)).expect(401, ACCESS_DENIED);
      } finally {
        await api.close();
      }
    },
  );
});
