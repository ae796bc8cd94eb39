import { randomUUID } from 'node:crypto';
import jwt, { Algorithm, SignOptions } from 'jsonwebtoken';

export const TEST_JWT_SECRET = 'test-secret-for-event-api-e2e-0123456789abcdef';

export interface TokenClaims {
  sub?: string;
  scope?: string;
  scp?: string[];
  orgs?: string[];
  nickname?: string;
  [claim: string]: unknown;
}

/** A signed test token; defaults: a fresh random `sub`, scope `webhook`, 1 h validity. */
export function mintToken(
  claims: TokenClaims = {},
  options: SignOptions & { key?: string | Buffer; algorithm?: Algorithm } = {},
): string {
  const { key = TEST_JWT_SECRET, algorithm = 'HS256', ...signOptions } = options;
  const payload = { sub: `user-${randomUUID()}`, scope: 'webhook', ...claims };
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) delete (payload as Record<string, unknown>)[name];
  }
  return jwt.sign(payload, key, { algorithm, expiresIn: '1h', ...signOptions });
}

/** A token with `alg: none` and no signature, as an attacker would forge it. */
export function unsignedToken(claims: TokenClaims): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iat: now, exp: now + 3600, ...claims })}.`;
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}
