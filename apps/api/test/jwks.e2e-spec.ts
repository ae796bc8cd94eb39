import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { bearer, HttpReceiver, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

describe('Authentication with JWT_JWKS_URI (e2e)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'key-1', use: 'sig', alg: 'RS256' };
  const jwks = new HttpReceiver((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  let api: TestApi;
  const sign = (key: typeof privateKey, kid: string) =>
    mintToken(
      {},
      { key: key.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'RS256', keyid: kid },
    );

  beforeAll(async () => {
    const url = await jwks.start();
    api = await createTestApi({ JWT_SECRET: '', JWT_JWKS_URI: `${url}/.well-known/jwks.json` });
  });
  afterAll(async () => {
    await api.close();
    await jwks.stop();
  });

  it('accepts a token signed by a key of the JWKS, found by kid', async () => {
    await request(api.http)
      .get('/webhooks')
      .set(bearer(sign(privateKey, 'key-1')))
      .expect(200);
    expect(jwks.requests[0].url).toBe('/.well-known/jwks.json');
  });

  it('refuses a token signed by another key, an unknown kid, or HS256', async () => {
    const denied = { code: 401, message: 'Access denied' };
    await request(api.http)
      .get('/webhooks')
      .set(bearer(sign(other.privateKey, 'key-1')))
      .expect(401, denied);
    await request(api.http)
      .get('/webhooks')
      .set(bearer(sign(privateKey, 'key-2')))
      .expect(401, denied);
    await request(api.http)
      .get('/webhooks')
      .set(bearer(mintToken({}, { keyid: 'key-1' })))
      .expect(401, denied);
  });
});
