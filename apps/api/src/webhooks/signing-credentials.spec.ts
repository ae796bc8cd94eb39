import type { WebhookEntity } from '@app/database';
import { ed25519PublicKey, generateWebhookSecret } from '@app/signing';
import { freshCredentials, rotateCredentials, shownSecret } from './signing-credentials';

const webhookWith = (signing: WebhookEntity['signing']) =>
  ({ signing, ...freshCredentials(signing), previousSecret: null, previousPublicKey: null }) as WebhookEntity;

describe('signing credentials', () => {
  it('an HMAC webhook gets a whsec_ secret and no public key, shown as it is', () => {
    const webhook = webhookWith('hmac-sha256');
    expect(webhook.secret).toMatch(/^whsec_/);
    expect(webhook.publicKey).toBeNull();
    expect(shownSecret(webhook)).toBe(webhook.secret);
  });

  it('an Ed25519 webhook keeps the whsk_ key and its public half; only whpk_ is ever shown', () => {
    const webhook = webhookWith('ed25519');
    expect(webhook.secret).toMatch(/^whsk_/);
    expect(webhook.publicKey).toBe(ed25519PublicKey(webhook.secret));
    const shown = shownSecret(webhook);
    expect(shown).toMatch(/^whpk_/);
    expect(Buffer.from(shown.slice(5), 'base64').toString('base64url')).toBe(webhook.publicKey);
    // Even without the stored public key, the private key is never what is shown.
    expect(shownSecret({ secret: webhook.secret, publicKey: null })).toBe(shown);
  });

  it('rotation moves the current secret and public key to previous, with the overlap', () => {
    const webhook = webhookWith('ed25519');
    const { secret, publicKey } = webhook;
    const before = Date.now();
    rotateCredentials(webhook, 60_000);
    expect(webhook.previousSecret).toBe(secret);
    expect(webhook.previousPublicKey).toBe(publicKey);
    expect(webhook.secret).toMatch(/^whsk_/);
    expect(webhook.secret).not.toBe(secret);
    expect(webhook.previousSecretExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('a switch of kind rotates into the new kind; the old secret has no public key to list', () => {
    const webhook = webhookWith('hmac-sha256');
    const secret = generateWebhookSecret();
    webhook.secret = secret;
    webhook.signing = 'ed25519';
    rotateCredentials(webhook, 0);
    expect(webhook.secret).toMatch(/^whsk_/);
    expect(webhook.publicKey).not.toBeNull();
    expect(webhook.previousSecret).toBe(secret);
    expect(webhook.previousPublicKey).toBeNull();
  });
});
