import { createHash, createPrivateKey, createPublicKey, KeyObject, randomBytes, sign } from 'node:crypto';

/** Prefix of a stored Ed25519 signing key (README → Verifying Ed25519 signatures); it never leaves the server. */
export const SIGNING_KEY_PREFIX = 'whsk_';
/** Prefix of the Standard Webhooks public key a receiver verifies `v1a` signatures with. */
export const PUBLIC_KEY_PREFIX = 'whpk_';

/** PKCS #8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SEED_BYTES = 32;

export type SigningAlgorithm = 'hmac-sha256' | 'ed25519';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['hmac-sha256', 'ed25519'];

/** The public half as a JWK (RFC 8037) with its RFC 7638 thumbprint as `kid`. */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
}

export interface Ed25519KeyPair {
  /** `whsk_` + base64 of the 32-byte private seed: stored sealed like a secret. */
  signingKey: string;
  /** base64url of the 32-byte public key: the JWK's `x`. */
  publicKey: string;
}

export function isEd25519SigningKey(secret: string): boolean {
  return secret.startsWith(SIGNING_KEY_PREFIX);
}

function privateKeyOf(signingKey: string): KeyObject {
  const seed = Buffer.from(signingKey.slice(SIGNING_KEY_PREFIX.length), 'base64');
  if (seed.length !== SEED_BYTES) throw new RangeError('an Ed25519 signing key holds a 32-byte seed');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function generateEd25519KeyPair(): Ed25519KeyPair {
  const signingKey = SIGNING_KEY_PREFIX + randomBytes(SEED_BYTES).toString('base64');
  return { signingKey, publicKey: ed25519PublicKey(signingKey) };
}

/** base64url of the public key belonging to `signingKey`. */
export function ed25519PublicKey(signingKey: string): string {
  const jwk = createPublicKey(privateKeyOf(signingKey)).export({ format: 'jwk' });
  return jwk.x as string;
}

/** `whpk_` + base64 of the raw public key: the Standard Webhooks form, for the `secret` field. */
export function standardPublicKey(publicKey: string): string {
  return PUBLIC_KEY_PREFIX + Buffer.from(publicKey, 'base64url').toString('base64');
}

/** RFC 7638 thumbprint: base64url SHA-256 of the required members in lexicographic order. */
export function jwkThumbprint(publicKey: string): string {
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: publicKey });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function ed25519Jwk(publicKey: string): Ed25519Jwk {
  return {
    kty: 'OKP',
    crv: 'Ed25519',
    x: publicKey,
    kid: jwkThumbprint(publicKey),
    use: 'sig',
    alg: 'EdDSA',
  };
}

/**
 * Parsed keys per worker: parsing costs about as much as a signature. Stored keys differ on every
 * rotation, so an entry is never stale; the map is emptied when full rather than tracking recency.
 */
const parsedKeys = new Map<string, KeyObject>();
const MAX_PARSED_KEYS = 10_000;

function cachedPrivateKey(signingKey: string): KeyObject {
  let key = parsedKeys.get(signingKey);
  if (!key) {
    if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.clear();
    key = privateKeyOf(signingKey);
    parsedKeys.set(signingKey, key);
  }
  return key;
}

/** `v1a,` + base64(Ed25519(`${id}.${timestamp}.${body}`)): the Standard Webhooks asymmetric signature. */
export function signPayloadEd25519(
  signingKey: string,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const signature = sign(
    null,
    Buffer.from(`${id}.${timestampSeconds}.${body}`),
    cachedPrivateKey(signingKey),
  );
  return `v1a,${signature.toString('base64')}`;
}
