import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { createLogger } from '@app/logging';
import { bearer, createTestApp, HttpReceiver, mintToken, TestApp, testConfig, waitUntil } from '@app/testing';
import { apiApplication } from '../src/app.setup';
import { JWKS_TIMINGS, JwksTimings } from '../src/auth/jwks-key-set';
import { createTestApi, TestApi } from './helpers/test-app';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const denied = { code: 401, message: 'Access denied' };

/** The Auth-API's JWKS endpoint: serves `keys` (changed by the test), counts fetches. */
class JwksServer {
  keys: object[] = [];
  readonly receiver = new HttpReceiver((_request, response) => this.answer(response));

  get fetches(): number {
    return this.receiver.requests.length;
  }

  publish(...keys: Array<{ publicKey: KeyObject; kid: string }>): void {
    this.keys = keys.map(({ publicKey, kid }) => ({
      ...publicKey.export({ format: 'jwk' }),
      kid,
      use: 'sig',
    }));
  }

  answer(response: ServerResponse): void {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: this.keys }));
  }
}

function pem(privateKey: KeyObject): { key: string; algorithm: 'ES256' | 'RS256' } {
  const algorithm = privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm };
}

function sign(privateKey: KeyObject, kid: string | undefined): string {
  return mintToken({}, { ...pem(privateKey), ...(kid === undefined ? {} : { keyid: kid }) });
}

/** The API against `jwks`, with the key set's timings shortened for the test. */
async function apiWith(jwks: JwksServer, timings: Partial<JwksTimings>): Promise<TestApp> {
  const config = testConfig({ JWT_SECRET: '', JWT_JWKS_URI: `${jwks.receiver.url}/.well-known/jwks.json` });
  const { module, ...options } = apiApplication(config, createLogger('silent'));
  const useValue: JwksTimings = {
    refreshIntervalMs: 3_600_000,
    unknownKidCooldownMs: 3_600_000,
    fetchTimeoutMs: 3_000,
    ...timings,
  };
  return createTestApp(module, { ...options, overrides: [{ provide: JWKS_TIMINGS, useValue }] });
}

const status = async (api: TestApp, token: string) =>
  (await request(api.http).get('/webhooks').set(bearer(token))).status;

describe('Authentication with JWT_JWKS_URI (e2e)', () => {
  const first = rsa();
  const attacker = ec();
  const jwks = new JwksServer();
  let api: TestApi;

  beforeAll(async () => {
    jwks.publish({ publicKey: first.publicKey, kid: 'key-1' });
    const url = await jwks.receiver.start();
    api = await createTestApi({ JWT_SECRET: '', JWT_JWKS_URI: `${url}/.well-known/jwks.json` });
  });
  afterAll(async () => {
    await api.close();
    await jwks.receiver.stop();
  });

  it('accepts a token signed by a key of the JWKS, found by kid', async () => {
    await request(api.http)
      .get('/webhooks')
      .set(bearer(sign(first.privateKey, 'key-1')))
      .expect(200);
    expect(jwks.receiver.requests[0].url).toBe('/.well-known/jwks.json');
  });

  it('refuses a token signed by another key, an unknown kid, a kid that is no string, or HS256', async () => {
    for (const token of [
      sign(attacker.privateKey, 'key-1'),
      sign(first.privateKey, 'key-2'),
      mintToken({}, { ...pem(first.privateKey), header: { alg: 'RS256', kid: 42 as unknown as string } }),
      mintToken({}, { keyid: 'key-1' }),
    ]) {
      await request(api.http).get('/webhooks').set(bearer(token)).expect(401, denied);
    }
  });

  it('accepts a token without kid while the set holds one key', async () => {
    expect(await status(api, sign(first.privateKey, undefined))).toBe(200);
  });
});

describe('JWKS key set under forged kids (e2e)', () => {
  const first = rsa();
  const rotated = ec();
  const attacker = ec();
  let jwks: JwksServer;
  let api: TestApp | undefined;

  beforeEach(async () => {
    jwks = new JwksServer();
    jwks.publish({ publicKey: first.publicKey, kid: 'key-1' });
    await jwks.receiver.start();
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
    await jwks.receiver.stop();
  });

  /** `count` tokens with random kids, 20 at a time: every one is refused. */
  async function flood(count: number): Promise<void> {
    for (let sent = 0; sent < count; sent += 20) {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => status(api as TestApp, sign(attacker.privateKey, randomUUID()))),
      );
      expect(statuses.every((code) => code === 401)).toBe(true);
    }
  }

  it('spends one fetch per cooldown on a flood; a key rotated in meanwhile is accepted at the next', async () => {
    const cooldown = 1_000;
    api = await apiWith(jwks, { unknownKidCooldownMs: cooldown });
    expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(200);
    const started = Date.now();
    await flood(100);
    // Known keys never wait for the key set, whatever the flood does.
    expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(200);

    jwks.publish(
      { publicKey: first.publicKey, kid: 'key-1' },
      { publicKey: rotated.publicKey, kid: 'key-2' },
    );
    await waitUntil(
      async () => {
        await flood(20);
        return (await status(api as TestApp, sign(rotated.privateKey, 'key-2'))) === 200;
      },
      cooldown * 4,
      'the rotated key to be accepted',
    );
    const elapsed = Date.now() - started;
    // The start-up fetch plus at most one per cooldown begun (the last one may still be running).
    expect(jwks.fetches).toBeLessThanOrEqual(2 + Math.floor(elapsed / cooldown));
  });

  it('accepts a rotated key at once when nobody has spent the budget', async () => {
    api = await apiWith(jwks, { unknownKidCooldownMs: 10_000 });
    expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(200);
    jwks.publish({ publicKey: rotated.publicKey, kid: 'key-2' });
    expect(await status(api, sign(rotated.privateKey, 'key-2'))).toBe(200);
    expect(jwks.fetches).toBe(2);
  });

  it('refreshes on its timer: a new key is accepted and a removed one refused with the budget spent', async () => {
    api = await apiWith(jwks, { refreshIntervalMs: 300 });
    expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(200);
    await flood(40);
    jwks.publish({ publicKey: rotated.publicKey, kid: 'key-2' });
    await jwks.receiver.waitFor(jwks.fetches + 1);
    expect(await status(api, sign(rotated.privateKey, 'key-2'))).toBe(200);
    expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(401);
  });

  it('keeps the last good key set when fetches fail, and refuses unknown kids without waiting long', async () => {
    api = await apiWith(jwks, { refreshIntervalMs: 200, fetchTimeoutMs: 500, unknownKidCooldownMs: 0 });
    expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(200);
    const failures: Array<(response: ServerResponse) => void> = [
      () => undefined, // hangs past the fetch deadline
      (response) => response.writeHead(500).end('{}'),
      (response) => response.end('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}'),
      (response) => response.end('not json'),
    ];
    for (const failure of failures) {
      jwks.receiver.respondWith((_request, response) => failure(response));
      await jwks.receiver.waitFor(jwks.fetches + 2);
      expect(await status(api, sign(first.privateKey, 'key-1'))).toBe(200);
      const started = Date.now();
      expect(await status(api, sign(attacker.privateKey, randomUUID()))).toBe(401);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });
});
