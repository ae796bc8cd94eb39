// What a create, a rotation or a switch of signing answered, shown with a copy button. An HMAC webhook's
// `whsec_` secret is shown once and never again; an Ed25519 webhook's `whpk_` value is its public key, not
// a secret, which receivers can also fetch from the webhook's JWKS URL (README → Receiving webhooks →
// Verifying Ed25519 signatures).
import { copyButton, h } from './dom.js';

const INTROS = {
  created: ['Your webhook was created. Its signing secret:', 'Your webhook was created. Its public key:'],
  rotated: ['The secret was rotated. The new signing secret:', 'The key was rotated. The new public key:'],
  switched: [
    'The signing method was changed. The new signing secret:',
    'The signing method was changed to Ed25519. The new public key:',
  ],
};

/** Where receivers fetch an Ed25519 webhook's public keys: the API's public route, on this origin. */
export function jwksUrl(webhookId) {
  return `${location.origin}/webhooks/${encodeURIComponent(webhookId)}/jwks`;
}

/** `change`: 'created', 'rotated' or 'switched'; the value's prefix says which kind it is. */
export function secretPanel(secret, webhookId, change) {
  const publicKey = secret.startsWith('whpk_');
  const intro = INTROS[change][publicKey ? 1 : 0];
  const value = h(
    'div',
    { class: 'secret-row' },
    h('code', { class: 'secret-value', [publicKey ? 'data-public-key' : 'data-secret']: '' }, secret),
    copyButton(secret, publicKey ? 'Copy key' : 'Copy'),
  );
  const panel = publicKey
    ? h(
        'div',
        { class: 'secret-panel public-key-panel', role: 'status' },
        h('p', { class: 'secret-title' }, intro),
        value,
        h(
          'p',
          null,
          'This is the public key, not a secret: receivers verify each delivery’s Ed25519 signature with it. They can also fetch it, and any older key still signing, from the webhook’s JWKS URL:',
        ),
        h(
          'div',
          { class: 'secret-row' },
          h('code', { class: 'secret-value', 'data-jwks-url': '' }, jwksUrl(webhookId)),
          copyButton(jwksUrl(webhookId), 'Copy URL'),
        ),
      )
    : h(
        'div',
        { class: 'secret-panel', role: 'status' },
        h('p', { class: 'secret-title' }, intro),
        h(
          'p',
          null,
          'Copy it now: it is shown only this once. Use it to verify the webhook signature of each delivery.',
        ),
        value,
      );
  const dismiss = h(
    'button',
    { type: 'button', class: 'btn btn-small btn-ghost' },
    publicKey ? 'Dismiss' : 'I have stored it',
  );
  dismiss.addEventListener('click', () => panel.remove());
  panel.append(dismiss);
  return panel;
}
