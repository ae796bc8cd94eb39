import type { WebhookEntity } from '@app/database';
import {
  ed25519PublicKey,
  generateEd25519KeyPair,
  generateWebhookSecret,
  isEd25519SigningKey,
  SigningAlgorithm,
  standardPublicKey,
} from '@app/signing';

type Credentials = Pick<WebhookEntity, 'secret' | 'publicKey'>;

/** A new secret of the kind `signing` asks for: an HMAC secret, or an Ed25519 key pair. */
export function freshCredentials(signing: SigningAlgorithm): Credentials {
  if (signing === 'hmac-sha256') return { secret: generateWebhookSecret(), publicKey: null };
  const pair = generateEd25519KeyPair();
  return { secret: pair.signingKey, publicKey: pair.publicKey };
}

/**
 * Rotation (POST /webhooks/{id}/secret, or a change of `signing`): a new secret or key pair of the
 * webhook's kind; the current one keeps signing alongside until `overlapMs` has passed, and its public
 * key stays in the JWKS as long. Rotating again within the overlap retires the older one at once.
 */
export function rotateCredentials(webhook: WebhookEntity, overlapMs: number): void {
  webhook.previousSecret = webhook.secret;
  webhook.previousPublicKey = webhook.publicKey;
  webhook.previousSecretExpiresAt = new Date(Date.now() + overlapMs);
  Object.assign(webhook, freshCredentials(webhook.signing));
}

/**
 * What the API shows as `secret`: an HMAC secret as it is; for an Ed25519 key only its public half
 * (`whpk_`), never the private key.
 */
export function shownSecret(webhook: Pick<WebhookEntity, 'secret' | 'publicKey'>): string {
  if (!isEd25519SigningKey(webhook.secret)) return webhook.secret;
  return standardPublicKey(webhook.publicKey ?? ed25519PublicKey(webhook.secret));
}
