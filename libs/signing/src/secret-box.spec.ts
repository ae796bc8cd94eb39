import { randomBytes } from 'node:crypto';
import { encryptionKeyId, SecretBox, UnknownEncryptionKeyError } from './secret-box';

const secret = 'whsec_' + randomBytes(32).toString('base64');

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('seals with AES-256-GCM under the key id, never showing the secret, and opens it again', () => {
    const sealed = box.seal(secret);
    expect(sealed).toMatch(new RegExp(`^enc:v1:${encryptionKeyId(key)}:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]+$`));
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(box.open(sealed)).toBe(secret);
    expect(box.isCurrent(sealed)).toBe(true);
  });

  it('uses a fresh nonce every time', () => {
    expect(box.seal(secret)).not.toBe(box.seal(secret));
  });

  it('reads plain text from before a key was set, and says it needs sealing', () => {
    expect(box.open(secret)).toBe(secret);
    expect(box.isCurrent(secret)).toBe(false);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = box.seal(secret);
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAA=') ? 'BBB=' : 'AAA=');
    expect(() => box.open(tampered)).toThrow();
  });

  it('opens with a previous key during rotation; a key it does not hold is a clear error', () => {
    const next = new SecretBox(randomBytes(32), [key]);
    const old = box.seal(secret);
    expect(next.open(old)).toBe(secret);
    expect(next.isCurrent(old)).toBe(false);
    expect(() => new SecretBox(randomBytes(32)).open(old)).toThrow(UnknownEncryptionKeyError);
  });

  it('without a key stores plain text', () => {
    const plain = new SecretBox();
    expect(plain.seal(secret)).toBe(secret);
    expect(plain.isCurrent(secret)).toBe(true);
  });
});
