import fc from 'fast-check';
import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

/** Strings a parser or PostgreSQL may choke on, mixed with arbitrary Unicode (lone surrogates included). */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
    maxLength: 4,
  }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '__proto__',
    'constructor',
    'toString',
    'https://@example.com/',
    'http://127.0.0.1/',
    'https://example.com:0/',
    '{"a":',
    'api.created',
    '9999-99-99T99:99:99Z',
    '-1',
    '1e309',
  ),
);

const FIELDS = ['url', 'events', 'active', 'custom', 'apiId', 'userId', 'id', 'secret', 'user', 'name'];
const hostileKey = fc.oneof(fc.constantFrom(...FIELDS), hostileString);
const hostileValue = fc.oneof(
  hostileString,
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.record({ name: fc.oneof(hostileString, fc.jsonValue({ maxDepth: 2 })) }), { maxLength: 3 }),
);
const hostileBody = fc.oneof(
  fc.dictionary(hostileKey, hostileValue, { maxKeys: 6 }),
  fc.jsonValue({ maxDepth: 6 }),
  hostileString.map((text) => ({ raw: text })),
);
const hostileQuery = fc.dictionary(
  fc.oneof(fc.constantFrom('apiId', 'userId', 'eventName', 'limit', 'cursor', 'success'), hostileString),
  hostileString,
  {
    maxKeys: 4,
  },
);

/** Any bytes, percent-encoded, and raw escapes that decode to nothing valid (`%ED%A0%80` is a lone surrogate). */
const hostilePathSegment = fc.oneof(
  hostileString.map((text) =>
    [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''),
  ),
  fc.constantFrom('%00', '%ED%A0%80', '%', '%zz', '..', '%2e%2e', '%C0%80', 'a%2Fb'),
);

/**
 * Property: whatever arrives, every endpoint answers a success or a 4xx with {code, message} —
 * never a 500, never another shape (README → API → Errors).
 */
describe('Generated hostile input never makes a 500 (e2e, fast-check)', () => {
  let api: TestApi;
  const auth = bearer(mintToken({ sub: `property-${Date.now()}` }));
  let webhookId: string;

  beforeAll(async () => {
    api = await createTestApi();
    webhookId = (
      await request(api.http)
        .post('/webhooks')
        .set(auth)
        .send({ url: 'https://a.example/', events: [{ name: 'api.created' }] })
        .expect(201)
    ).body.id;
  });
  afterAll(() => api.close());

  const wellFormed = (response: request.Response) => {
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.body.code).toBe(response.status);
      expect(typeof response.body.message).toBe('string');
    }
  };

  const send = (method: 'post' | 'put', path: string, body: unknown) => {
    const test = request(api.http)[method](path).set(auth).set('content-type', 'application/json');
    // `raw` sends the string itself as the body: malformed JSON, escapes, anything.
    if (body && typeof body === 'object' && 'raw' in body && Object.keys(body).length === 1) {
      return test.send(JSON.stringify((body as { raw: string }).raw).slice(0, 200));
    }
    return test.send(JSON.stringify(body));
  };

  it('bodies: POST /webhooks, PUT /webhooks/{id}', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, async (body) => {
        wellFormed(await send('post', '/webhooks', body));
        wellFormed(await send('put', `/webhooks/${webhookId}`, body));
      }),
      { numRuns: 150 },
    );
  });

  it('bodies: POST /webhooks/{id}/recover (date-times of any year, offset and spelling)', async () => {
    const dateTime = fc.oneof(
      hostileString,
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      // Within the retention window and around it, so the statement itself runs too.
      fc
        .integer({ min: -32 * 86_400_000, max: 86_400_000 })
        .map((offset) => new Date(Date.now() + offset).toISOString()),
      fc
        .tuple(
          fc.integer({ min: 0, max: 99_999 }),
          fc.integer({ min: 0, max: 99 }),
          fc.integer({ min: 0, max: 99 }),
          fc.constantFrom('Z', '+23:59', '-24:00', '+00:60', ''),
        )
        .map(([y, m, d, zone]) => `${String(y).padStart(4, '0')}-${m}-${d}T00:00:00${zone}`),
    );
    const recoverBody = fc.oneof(
      hostileBody,
      fc.record({ since: dateTime, until: fc.oneof(dateTime, hostileValue) }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(recoverBody, async (body) => {
        wellFormed(await send('post', `/webhooks/${webhookId}/recover`, body));
      }),
      { numRuns: 150 },
    );
  });

  it('query strings: GET /webhooks, GET /webhooks/{id}/deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(hostileQuery, async (query) => {
        wellFormed(await request(api.http).get('/webhooks').query(query).set(auth));
        wellFormed(await request(api.http).get(`/webhooks/${webhookId}/deliveries`).query(query).set(auth));
      }),
      { numRuns: 150 },
    );
  });

  it('path segments: every route with an id', async () => {
    await fc.assert(
      fc.asyncProperty(hostilePathSegment, async (id) => {
        wellFormed(await request(api.http).get(`/webhooks/${id}`).set(auth));
        wellFormed(await request(api.http).post(`/webhooks/${id}/ping`).set(auth));
        wellFormed(
          await request(api.http)
            .post(`/webhooks/${id}/recover`)
            .set(auth)
            .send({ since: new Date(Date.now() - 60_000).toISOString() }),
        );
        wellFormed(
          await request(api.http).post(`/webhooks/${webhookId}/deliveries/${id}/redeliver`).set(auth),
        );
        wellFormed(await request(api.http).delete(`/users/${id}/data`).set(auth));
      }),
      { numRuns: 100 },
    );
  });
});
