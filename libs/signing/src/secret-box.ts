import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const SEALED_PREFIX = 'enc:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A short public name for a key, stored with each ciphertext so rotation knows which key opens it. */
export function encryptionKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class UnknownEncryptionKeyError extends Error {}

/**
 * Webhook secrets at rest (SECRETS_ENCRYPTION_KEY, README → Security → Secrets): AES-256-GCM, stored as
 * `enc:v1:<key id>:<nonce>:<ciphertext+tag>` (base64). Without a current key `seal` stores plain text; `open`
 * reads plain text (rows from before a key was set) and anything sealed with the current key or one of the
 * `previous` ones.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId?: string;

  constructor(
    private readonly current?: Buffer,
    previous: readonly Buffer[] = [],
  ) {
    for (const key of [...previous, ...(current ? [current] : [])]) {
      if (key.length !== 32) throw new RangeError('encryption keys are 32 bytes');
      this.keys.set(encryptionKeyId(key), key);
    }
    if (current) this.currentId = encryptionKeyId(current);
  }

  seal(secret: string): string {
    if (!this.current || !this.currentId) return secret;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, nonce);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${this.currentId}:${nonce.toString('base64')}:${sealed.toString('base64')}`;
  }

  open(stored: string): string {
    if (!stored.startsWith(SEALED_PREFIX)) return stored;
    const [keyId, nonce, sealed] = stored.slice(SEALED_PREFIX.length).split(':');
    const key = this.keys.get(keyId ?? '');
    if (!key) throw new UnknownEncryptionKeyError(`secret sealed with unknown key ${keyId}`);
    const bytes = Buffer.from(sealed ?? '', 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce ?? '', 'base64'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }

  /** True when `stored` is already what `seal` would write now (sealed with the current key, or plain without one). */
  isCurrent(stored: string): boolean {
    if (!this.currentId) return !stored.startsWith(SEALED_PREFIX);
    return stored.startsWith(`${SEALED_PREFIX}${this.currentId}:`);
  }
}
