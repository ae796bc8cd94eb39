import fc from 'fast-check';
import request from 'supertest';
import { bearer, createWebhook, mintToken } from '@app/testing';
import { MAX_ECHOED_CHARS, MAX_ERROR_BYTES, MAX_FIELD_CHARS } from '../src/common/error-body';
import { createTestApi, TestApi } from './helpers/test-app';

const VALID = { url: 'https://errors.example/hook', events: [{ name: 'api.created' }] };

/** Names an attacker would echo back: long, many, odd characters (JSON escapes, several UTF-8 bytes). */
const name = (maxLength: number) =>
  fc.oneof(
    fc.string({ minLength: 1, maxLength }),
    fc
      .tuple(
        fc.constantFrom('k', 'é', '\u4e00', '😀', '\u0001', '"', '\\'),
        fc.integer({ min: 65, max: maxLength }),
      )
      .map(([unit, times]) => unit.repeat(Math.ceil(times / unit.length))),
  );

/**
 * README → API → Requests and limits: an error answer is never much bigger than the request, and never
 * more than MAX_ERROR_BYTES whatever the input (long keys, many keys, long header names, long query keys).
 */
describe('error answers stay small whatever they echo (e2e)', () => {
  let api: TestApi;
  const auth = bearer(mintToken({ sub: `error-size-${Date.now()}` }));
  let webhookId: string;

  beforeAll(async () => {
    api = await createTestApi({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
    webhookId = (await createWebhook(api.http, auth, VALID)).id;
  });
  afterAll(() => api.close());

  function expectSmall(response: request.Response): void {
    expect(response.status).toBe(400);
    expect(Buffer.byteLength(response.text)).toBeLessThanOrEqual(MAX_ERROR_BYTES);
    for (const error of (response.body as { errors?: Array<{ field: string; message: string }> }).errors ??
      []) {
      expect(error.field.length).toBeLessThanOrEqual(MAX_FIELD_CHARS + 1);
    }
  }

  it('one unknown key of 100,000 characters: a 400 of a few hundred bytes, the name cut with …', async () => {
    const key = 'k'.repeat(100_000);
    const response = await request(api.http)
      .post('/webhooks')
      .set(auth)
      .send({ ...VALID, [key]: 1 });
    expectSmall(response);
    expect(response.body.errors).toEqual([
      { field: `${'k'.repeat(MAX_ECHOED_CHARS)}…`, message: expect.stringContaining('…') },
    ]);
    expect(Buffer.byteLength(response.text)).toBeLessThan(600);
  });

  it('long and many unknown keys, in POST and PUT bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(name(4_000), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        async (keys, put) => {
          const body = { ...VALID, ...Object.fromEntries(keys.map((key) => [`x${key}`, 1])) };
          const call = put
            ? request(api.http).put(`/webhooks/${webhookId}`)
            : request(api.http).post('/webhooks');
          const response = await call.set(auth).send(body);
          if (response.status === 413) return;
          expectSmall(response);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('long custom header names', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(name(4_000), { minLength: 1, maxLength: 20 }), async (names) => {
        // Over 64 characters each: every one is refused, by name.
        const headers = Object.fromEntries(names.map((header) => [`X-${'h'.repeat(64)}${header}`, 'value']));
        const response = await request(api.http)
          .post('/webhooks')
          .set(auth)
          .send({ ...VALID, headers });
        if (response.status === 413) return;
        expectSmall(response);
      }),
      { numRuns: 25 },
    );
  });

  it('long query keys', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(name(1_500), { minLength: 1, maxLength: 6 }), async (keys) => {
        const query = keys.map((key) => `${encodeURIComponent(`q${key}`)}=1`).join('&');
        const response = await request(api.http).get(`/webhooks?${query}`).set(auth);
        // Past 16 KiB of headers the server answers 431 itself.
        if (response.status === 431) return;
        expectSmall(response);
      }),
      { numRuns: 25 },
    );
  });
});
