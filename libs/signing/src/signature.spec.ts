import { Webhook } from 'standardwebhooks';
import {
  generateWebhookSecret,
  secretKey,
  signatureHeader,
  signPayload,
  verifySignature,
} from '@app/signing';

const ID = 'msg_2b9e1f1c-4a5d-4c1e-9f6a-0d3c2b1a0f9e';
const BODY = JSON.stringify({
  id: 'evt_1',
  name: 'api.created',
  resource: { name: 'Pets', emoji: 'ünïcødé 🐶' },
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function standardHeaders(id: string, timestamp: number, signature: string) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

describe('generateWebhookSecret', () => {
  it('is whsec_ + base64 of 32 bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(secretKey(secret)).toHaveLength(32);
  });

  it('is unique', () => {
    const secrets = new Set(Array.from({ length: 200 }, () => generateWebhookSecret()));
    expect(secrets.size).toBe(200);
  });
});

describe('secretKey', () => {
  it('decodes the part after whsec_', () => {
    const key = Buffer.alloc(32, 9);
    expect(secretKey(`whsec_${key.toString('base64')}`)).toEqual(key);
    expect(secretKey(key.toString('base64'))).toEqual(key);
  });
});

describe('signPayload', () => {
  it('matches the published Standard Webhooks test vector', () => {
    const signature = signPayload(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('depends on every signed part', () => {
    const secret = generateWebhookSecret();
    const base = signPayload(secret, ID, 1700000000, BODY);
    expect(signPayload(secret, `${ID}x`, 1700000000, BODY)).not.toBe(base);
    expect(signPayload(secret, ID, 1700000001, BODY)).not.toBe(base);
    expect(signPayload(secret, ID, 1700000000, `${BODY} `)).not.toBe(base);
    expect(signPayload(generateWebhookSecret(), ID, 1700000000, BODY)).not.toBe(base);
  });
});

describe('signatureHeader, verified by the independent standardwebhooks package', () => {
  it('verifies with a single secret', () => {
    const secret = generateWebhookSecret();
    const timestamp = nowSeconds();
    const header = signatureHeader([secret], ID, timestamp, BODY);
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(BODY, standardHeaders(ID, timestamp, header))).toEqual(
      JSON.parse(BODY),
    );
  });

  it('is rejected by standardwebhooks for a tampered body or another secret', () => {
    const secret = generateWebhookSecret();
    const timestamp = nowSeconds();
    const headers = standardHeaders(ID, timestamp, signatureHeader([secret], ID, timestamp, BODY));
    expect(() => new Webhook(secret).verify(BODY.replace('Pets', 'Cats'), headers)).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(BODY, headers)).toThrow();
  });

  it('carries one signature per secret while a rotated secret overlaps; each verifies alone', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const timestamp = nowSeconds();
    const header = signatureHeader([newSecret, oldSecret], ID, timestamp, BODY);
    const parts = header.split(' ');
    expect(parts).toEqual([
      signPayload(newSecret, ID, timestamp, BODY),
      signPayload(oldSecret, ID, timestamp, BODY),
    ]);
    const headers = standardHeaders(ID, timestamp, header);
    expect(new Webhook(oldSecret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(new Webhook(newSecret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(generateWebhookSecret()).verify(BODY, headers)).toThrow();
  });

  it('produces exactly what standardwebhooks signs', () => {
    const secret = generateWebhookSecret();
    const timestamp = nowSeconds();
    expect(signatureHeader([secret], ID, timestamp, BODY)).toBe(
      new Webhook(secret).sign(ID, new Date(timestamp * 1000), BODY),
    );
  });
});

describe('verifySignature', () => {
  const secret = generateWebhookSecret();
  const now = 1_700_000_000;
  const signed = (timestamp = now, body = BODY, secrets = [secret]) => ({
    id: ID,
    timestamp: String(timestamp),
    signature: signatureHeader(secrets, ID, timestamp, body),
  });

  it('accepts a fresh, correctly signed message', () => {
    expect(verifySignature(secret, signed(), BODY, { nowSeconds: now })).toBe(true);
  });

  it('accepts what standardwebhooks itself signs', () => {
    const signature = new Webhook(secret).sign(ID, new Date(now * 1000), BODY);
    const headers = { id: ID, timestamp: String(now), signature };
    expect(verifySignature(secret, headers, BODY, { nowSeconds: now })).toBe(true);
  });

  it('uses the real clock by default', () => {
    const current = nowSeconds();
    expect(verifySignature(secret, signed(current), BODY)).toBe(true);
    expect(verifySignature(secret, signed(current - 3600), BODY)).toBe(false);
  });

  it('rejects a tampered body', () => {
    expect(verifySignature(secret, signed(), BODY.replace('Pets', 'Cats'), { nowSeconds: now })).toBe(false);
    expect(verifySignature(secret, signed(), `${BODY}\n`, { nowSeconds: now })).toBe(false);
  });

  it('rejects a tampered id or timestamp', () => {
    const headers = signed();
    expect(verifySignature(secret, { ...headers, id: 'msg_other' }, BODY, { nowSeconds: now })).toBe(false);
    expect(
      verifySignature(secret, { ...headers, timestamp: String(now + 1) }, BODY, { nowSeconds: now }),
    ).toBe(false);
  });

  it('rejects the wrong secret', () => {
    expect(verifySignature(generateWebhookSecret(), signed(), BODY, { nowSeconds: now })).toBe(false);
  });

  it('accepts either secret of a rotation header, and neither other one', () => {
    const other = generateWebhookSecret();
    const headers = signed(now, BODY, [other, secret]);
    expect(verifySignature(secret, headers, BODY, { nowSeconds: now })).toBe(true);
    expect(verifySignature(other, headers, BODY, { nowSeconds: now })).toBe(true);
    expect(verifySignature(generateWebhookSecret(), headers, BODY, { nowSeconds: now })).toBe(false);
  });

  it('allows 300 s of clock skew either way and no more', () => {
    expect(verifySignature(secret, signed(now - 300), BODY, { nowSeconds: now })).toBe(true);
    expect(verifySignature(secret, signed(now + 300), BODY, { nowSeconds: now })).toBe(true);
    expect(verifySignature(secret, signed(now - 301), BODY, { nowSeconds: now })).toBe(false);
    expect(verifySignature(secret, signed(now + 301), BODY, { nowSeconds: now })).toBe(false);
  });

  it('honours a custom tolerance', () => {
    expect(verifySignature(secret, signed(now - 30), BODY, { nowSeconds: now, toleranceSeconds: 10 })).toBe(
      false,
    );
    expect(verifySignature(secret, signed(now - 30), BODY, { nowSeconds: now, toleranceSeconds: 60 })).toBe(
      true,
    );
  });

  it.each(['', 'abc', '1700000000.5', 'NaN', 'Infinity'])(
    'rejects the malformed timestamp %j',
    (timestamp) => {
      const headers = { ...signed(), timestamp };
      expect(verifySignature(secret, headers, BODY, { nowSeconds: now })).toBe(false);
    },
  );

  it('rejects malformed signature headers', () => {
    const good = signPayload(secret, ID, now, BODY);
    const digest = good.slice('v1,'.length);
    const malformed = ['', ' ', 'v1,', 'v1', 'garbage', digest, `v2,${digest}`, `v1, ${digest}`, `${good}x`];
    for (const signature of malformed) {
      const headers = { id: ID, timestamp: String(now), signature };
      expect(verifySignature(secret, headers, BODY, { nowSeconds: now })).toBe(false);
    }
  });
});
