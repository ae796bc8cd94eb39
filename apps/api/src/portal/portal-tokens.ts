import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The session cookie (README → Portal): its value is the session id; only its hash is stored. */
export const SESSION_COOKIE = 'portal_session';

/** The header the pages send the session's CSRF token in, on every state-changing request. */
export const CSRF_HEADER = 'x-csrf-token';

/** 32 random bytes, base64url: link tokens, session ids, CSRF tokens. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** What the database keeps instead of a token: a leak of the table opens no session. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two tokens (a CSRF header with the session's). */
export function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * The well-formed values of the session cookie in a `Cookie` header, in the browser's order. A header
 * that is missing, huge or garbled simply yields none: the caller answers 401.
 */
export function sessionCookies(header: string | undefined): string[] {
  if (typeof header !== 'string') return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(at + 1).trim();
    if (isWellFormedToken(value)) values.push(value);
  }
  return values.slice(0, 4);
}
