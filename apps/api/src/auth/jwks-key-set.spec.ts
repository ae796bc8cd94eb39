import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { JwksKeySet, signingKeys } from './jwks-key-set';

beforeAll(() => Logger.overrideLogger(false));

const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const jwk = (key: KeyObject, extra: object = {}) => ({ ...key.export({ format: 'jwk' }), ...extra });

describe('signingKeys', () => {
  it('keeps RSA (RS256) and EC P-256 (ES256) signing keys by kid', () => {
    const keys = signingKeys({
      keys: [
        jwk(rsaKey, { kid: 'r', alg: 'RS256', use: 'sig' }),
        jwk(ecKey, { kid: 'e', key_ops: ['verify'] }),
      ],
    });
    expect([...keys.byKid.keys()]).toEqual(['r', 'e']);
    expect(keys.byKid.get('r')?.equals(rsaKey)).toBe(true);
    expect(keys.byKid.get('e')?.equals(ecKey)).toBe(true);
  });

  it.each([
    ['use: enc', jwk(rsaKey, { kid: 'x', use: 'enc' })],
    ['another alg', jwk(rsaKey, { kid: 'x', alg: 'PS256' })],
    ['key_ops without verify', jwk(rsaKey, { kid: 'x', key_ops: ['encrypt'] })],
    ['a P-384 key', jwk(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, { kid: 'x' })],
    [
      'an RSA key under 2048 bits',
      jwk(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, { kid: 'x' }),
    ],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0', kid: 'x' }],
    ['an Ed25519 key', jwk(generateKeyPairSync('ed25519').publicKey, { kid: 'x' })],
    ['a broken RSA key', { kty: 'RSA', n: '!', e: 'AQAB', kid: 'x' }],
    ['no object', 'x'],
  ])('skips %s', (_what, skipped) => {
    const keys = signingKeys({ keys: [skipped, jwk(rsaKey, { kid: 'ok' })] });
    expect([...keys.byKid.keys()]).toEqual(['ok']);
    expect(keys.all).toHaveLength(1);
  });

  it('holds the public half only of a JWK that carries private members', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keys = signingKeys({ keys: [{ ...pair.privateKey.export({ format: 'jwk' }), kid: 'p' }] });
    expect(keys.byKid.get('p')?.type).toBe('public');
  });

  it.each([[null], [{}], [{ keys: 'x' }], [{ keys: [] }], [{ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }]])(
    'refuses %j as a key set',
    (document) => {
      expect(() => signingKeys(document)).toThrow();
    },
  );
});

describe('JwksKeySet', () => {
  const timings = { refreshIntervalMs: 60_000, unknownKidCooldownMs: 10_000, fetchTimeoutMs: 1_000 };
  let clock = 0;
  let fetches = 0;
  let documents: Array<() => Promise<unknown>> = [];
  const serve =
    (...keys: object[]) =>
    () =>
      Promise.resolve({ keys });
  const fetcher = () => {
    fetches += 1;
    return (documents.shift() ?? serve(jwk(rsaKey, { kid: 'a' })))();
  };
  const keySet = () => new JwksKeySet('http://jwks', timings, fetcher, () => clock);

  beforeEach(() => {
    clock = 0;
    fetches = 0;
    documents = [];
  });

  it('lets concurrent unknown kids share one fetch, then refuses them until the cooldown ends', async () => {
    const set = keySet();
    await set.refresh();
    documents.push(serve(jwk(rsaKey, { kid: 'a' }), jwk(ecKey, { kid: 'b' })));
    const found = await Promise.all(['b', 'x', 'y', 'z'].map((kid) => set.keyFor(kid)));
    expect(found.map((key) => key !== undefined)).toEqual([true, false, false, false]);
    expect(fetches).toBe(2);

    clock += timings.unknownKidCooldownMs - 1;
    expect(await set.keyFor('w')).toBeUndefined();
    expect(fetches).toBe(2);
    clock += 1;
    expect(await set.keyFor('w')).toBeUndefined();
    expect(fetches).toBe(3);
  });

  it('answers a known kid without waiting for a fetch in flight', async () => {
    const set = keySet();
    await set.refresh();
    documents.push(() => new Promise(() => undefined));
    void set.refresh();
    expect(await set.keyFor('a')).toBeDefined();
  });

  it('keeps the last good keys when a fetch fails or serves no usable key', async () => {
    const set = keySet();
    await set.refresh();
    documents.push(() => Promise.reject(new Error('ECONNREFUSED')), serve({ kty: 'oct', k: 'c2VjcmV0' }));
    await set.refresh();
    await set.refresh();
    expect(fetches).toBe(3);
    expect(await set.keyFor('a')).toBeDefined();
  });

  it('drops a key the set no longer holds', async () => {
    const set = keySet();
    await set.refresh();
    const onlyB = serve(jwk(ecKey, { kid: 'b' }));
    documents.push(onlyB, onlyB);
    await set.refresh();
    expect(await set.keyFor('a')).toBeUndefined();
    expect(await set.keyFor('b')).toBeDefined();
  });

  it('uses the only key for a token without kid, and no key when there are several', async () => {
    const set = keySet();
    await set.refresh();
    expect(await set.keyFor(undefined)).toBeDefined();
    const both = serve(jwk(rsaKey, { kid: 'a' }), jwk(ecKey, { kid: 'b' }));
    documents.push(both, both);
    await set.refresh();
    expect(await set.keyFor(undefined)).toBeUndefined();
  });
});
