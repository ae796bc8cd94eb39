import { createHmac, timingSafeEqual } from 'node:crypto';
import { isEd25519SigningKey, signPayloadEd25519 } from './ed25519';
import { secretKey } from './secrets';

/** `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)) — Standard Webhooks. */
export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  const digest = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${digest}`;
}

/**
 * The `webhook-signature` header value: one signature per active secret, space-separated; an Ed25519
 * signing key (`whsk_`) signs `v1a,`, an HMAC secret `v1,`.
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets
    .map((secret) =>
      isEd25519SigningKey(secret)
        ? signPayloadEd25519(secret, id, timestampSeconds, body)
        : signPayload(secret, id, timestampSeconds, body),
    )
    .join(' ');
}

export interface VerifyOptions {
  /** Allowed clock skew in seconds (default 300, as the Standard Webhooks libraries). */
  toleranceSeconds?: number;
  nowSeconds?: number;
}

/**
 * Receiver-side check: true when any signature in the header matches and the timestamp is fresh.
 * Comparison is constant-time.
 */
export function verifySignature(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  options: VerifyOptions = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) {
    return false;
  }
  const expected = Buffer.from(signPayload(secret, headers.id, timestamp, body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
