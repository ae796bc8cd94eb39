import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  ed25519Jwk,
  ed25519PublicKey,
  generateEd25519KeyPair,
  generateWebhookSecret,
  isEd25519SigningKey,
  jwkThumbprint,
  signatureHeader,
  signPayloadEd25519,
  standardPublicKey,
} from '@app/signing';

const ID = 'msg_2b9e1f1c-4a5d-4c1e-9f6a-0d3c2b1a0f9e';
const BODY = JSON.stringify({ id: 'evt_1', name: 'api.created', resource: { emoji: 'ünïcødé 🐶' } });
const TIMESTAMP = 1_700_000_000;

/** The receiver's side, independent of our signing code: node:crypto with the JWK's `x` alone. */
function verifiesWith(x: string, signature: string, id = ID, timestamp = TIMESTAMP, body = BODY): boolean {
  const [version, encoded] = signature.split(',');
  if (version !== 'v1a') return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  return verify(null, Buffer.from(`${id}.${timestamp}.${body}`), key, Buffer.from(encoded, 'base64'));
}

describe('generateEd25519KeyPair', () => {
  it('gives a whsk_ seed and the base64url public key that belongs to it', () => {
    const pair = generateEd25519KeyPair();
    expect(pair.signingKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ed25519PublicKey(pair.signingKey)).toBe(pair.publicKey);
    expect(isEd25519SigningKey(pair.signingKey)).toBe(true);
    expect(isEd25519SigningKey(generateWebhookSecret())).toBe(false);
  });

  it('is unique', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateEd25519KeyPair().publicKey));
    expect(keys.size).toBe(50);
  });

  it('refuses a stored key that is not a 32-byte seed', () => {
    expect(() => ed25519PublicKey('whsk_AAAA')).toThrow(RangeError);
  });
});

describe('JWK and public key forms', () => {
  it('matches node:crypto’s own JWK export and its RFC 7638 thumbprint', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const exported = publicKey.export({ format: 'jwk' });
    const jwk = ed25519Jwk(exported.x as string);
    expect(jwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: exported.x,
      kid: jwk.kid,
      use: 'sig',
      alg: 'EdDSA',
    });
    const members = `{"crv":"Ed25519","kty":"OKP","x":"${exported.x as string}"}`;
    expect(jwk.kid).toBe(createHash('sha256').update(members).digest('base64url'));
  });

  it('RFC 8037 appendix A.3: the thumbprint of its example key', () => {
    expect(jwkThumbprint('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
  });

  it('whpk_ carries the same 32 bytes in standard base64', () => {
    const { publicKey } = generateEd25519KeyPair();
    const whpk = standardPublicKey(publicKey);
    expect(whpk).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(whpk.slice(5), 'base64')).toEqual(Buffer.from(publicKey, 'base64url'));
  });
});

describe('signPayloadEd25519, verified by node:crypto from the JWK x alone', () => {
  it('verifies, and fails for any other id, timestamp, body or key', () => {
    const pair = generateEd25519KeyPair();
    const signature = signPayloadEd25519(pair.signingKey, ID, TIMESTAMP, BODY);
    expect(signature).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(verifiesWith(pair.publicKey, signature)).toBe(true);
    expect(verifiesWith(pair.publicKey, signature, `${ID}x`)).toBe(false);
    expect(verifiesWith(pair.publicKey, signature, ID, TIMESTAMP + 1)).toBe(false);
    expect(verifiesWith(pair.publicKey, signature, ID, TIMESTAMP, `${BODY} `)).toBe(false);
    expect(verifiesWith(generateEd25519KeyPair().publicKey, signature)).toBe(false);
  });

  it('is deterministic (Ed25519 needs no randomness per signature)', () => {
    const { signingKey } = generateEd25519KeyPair();
    expect(signPayloadEd25519(signingKey, ID, TIMESTAMP, BODY)).toBe(
      signPayloadEd25519(signingKey, ID, TIMESTAMP, BODY),
    );
  });
});

describe('signatureHeader with Ed25519 keys', () => {
  it('signs v1a with each active key, newest first, space-separated; each verifies alone', () => {
    const current = generateEd25519KeyPair();
    const previous = generateEd25519KeyPair();
    const header = signatureHeader([current.signingKey, previous.signingKey], ID, TIMESTAMP, BODY);
    const [first, second] = header.split(' ');
    expect(header.split(' ')).toHaveLength(2);
    expect(verifiesWith(current.publicKey, first)).toBe(true);
    expect(verifiesWith(previous.publicKey, second)).toBe(true);
  });

  it('mixes v1a and v1 while a switch of algorithm overlaps; standardwebhooks still verifies the v1 part', () => {
    const pair = generateEd25519KeyPair();
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader([pair.signingKey, secret], ID, now, BODY);
    const [v1a, v1] = header.split(' ');
    expect(v1).toMatch(/^v1,/);
    expect(verifiesWith(pair.publicKey, v1a, ID, now)).toBe(true);
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(now), 'webhook-signature': header };
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });
});
