import fc from 'fast-check';
import {
  MAX_ENVELOPE_BYTES,
  MAX_EVENT_ID_LENGTH,
  MAX_IDENTIFIER_LENGTH,
  MAX_RESOURCE_BYTES,
  toPlatformEvent,
  validateEnvelope,
} from './envelope';

const API_ID = '7a1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

const valid = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'api.created',
  user: { id: '10123' },
  resourceType: 'Api',
  resource: { id: API_ID, name: 'Pets' },
  apiId: API_ID,
  ...overrides,
});

const reasonOf = (data: unknown, jobName?: string): string => {
  const check = validateEnvelope(data, jobName);
  if (check.ok) throw new Error(`expected a rejection, got ${JSON.stringify(check.envelope)}`);
  return check.reason;
};

describe('validateEnvelope', () => {
  describe('accepts', () => {
    it('a minimal envelope with apiId', () => {
      expect(validateEnvelope(valid())).toEqual({
        ok: true,
        envelope: {
          name: 'api.created',
          user: { id: '10123' },
          resourceType: 'Api',
          resource: { id: API_ID, name: 'Pets' },
          apiId: API_ID,
        },
      });
    });

    it('a minimal envelope with ownerId only (resource defaults to null)', () => {
      const check = validateEnvelope({
        name: 'user.created',
        user: { id: 'u-1' },
        resourceType: 'User',
        ownerId: 'u-1',
      });
      expect(check).toEqual({
        ok: true,
        envelope: {
          name: 'user.created',
          user: { id: 'u-1' },
          resourceType: 'User',
          resource: null,
          ownerId: 'u-1',
        },
      });
    });

    it('a job name equal to the event name', () => {
      expect(validateEnvelope(valid(), 'api.created').ok).toBe(true);
    });

    it('normalizes the timestamp to ISO 8601 UTC', () => {
      const check = validateEnvelope(valid({ timestamp: '2024-01-02T03:04:05+02:00' }));
      expect(check.ok && check.envelope.timestamp).toBe('2024-01-02T01:04:05.000Z');
    });

    it('delivers timestamps in UTC with millisecond precision, as shown in README → Publishing events', () => {
      for (const [timestamp, delivered] of [
        ['2024-01-02T03:04:00.123456789Z', '2024-01-02T03:04:00.123Z'],
        ['2024-01-02T05:30:00+05:30', '2024-01-02T00:00:00.000Z'],
        ['2024-01-02T05:30:00.9999+05:30', '2024-01-02T00:00:00.999Z'],
        ['2024-01-02T00:00Z', '2024-01-02T00:00:00.000Z'],
      ]) {
        const check = validateEnvelope(valid({ timestamp }));
        expect({ timestamp, delivered: check.ok && check.envelope.timestamp }).toEqual({
          timestamp,
          delivered,
        });
      }
    });

    it('carries numbers as IEEE-754 doubles: underflow to 0, -0 as 0, integers beyond 2^53 rounded', () => {
      // As a publisher in another language writes them; JSON.parse is what reads job data.
      const resource = JSON.parse('{"tiny":1e-400,"negativeZero":-0,"big":9007199254740993,"fraction":0.1}');
      const check = validateEnvelope(valid({ resource }));
      if (!check.ok) throw new Error(check.reason);
      const event = toPlatformEvent(check.envelope, 'evt-1', '2024-01-02T00:00:00.000Z');
      expect(JSON.stringify(event.resource)).toBe(
        '{"tiny":0,"negativeZero":0,"big":9007199254740992,"fraction":0.1}',
      );
    });

    it('keeps only the known fields, also inside user', () => {
      const check = validateEnvelope(
        valid({
          id: 'evt-1',
          user: { id: 'u-1', nickname: 'ann', email: 'ann@example.com' },
          ownerId: 'u-1',
          fanOutRetries: 3,
          extra: { anything: true },
        }),
      );
      expect(check).toEqual({
        ok: true,
        envelope: {
          id: 'evt-1',
          name: 'api.created',
          user: { id: 'u-1', nickname: 'ann' },
          resourceType: 'Api',
          resource: { id: API_ID, name: 'Pets' },
          apiId: API_ID,
          ownerId: 'u-1',
        },
      });
    });

    it('drops a null nickname, id and timestamp', () => {
      const check = validateEnvelope(valid({ id: null, timestamp: null, user: { id: 'u', nickname: null } }));
      expect(check.ok && Object.keys(check.envelope)).toEqual([
        'name',
        'user',
        'resourceType',
        'resource',
        'apiId',
      ]);
      expect(check.ok && check.envelope.user).toEqual({ id: 'u' });
    });

    it(`an id of exactly ${MAX_EVENT_ID_LENGTH} characters`, () => {
      expect(validateEnvelope(valid({ id: 'a'.repeat(MAX_EVENT_ID_LENGTH) })).ok).toBe(true);
    });

    it('a resource of exactly 256 KiB of JSON', () => {
      const resource = 'x'.repeat(MAX_RESOURCE_BYTES - 2); // the JSON string adds two quotes
      expect(Buffer.byteLength(JSON.stringify(resource))).toBe(256 * 1024);
      expect(validateEnvelope(valid({ resource })).ok).toBe(true);
    });
  });

  describe('rejects', () => {
    it('an unknown event name', () => {
      expect(reasonOf(valid({ name: 'api.exploded' }))).toBe('unknown event name: "api.exploded"');
      expect(reasonOf(valid({ name: undefined }))).toMatch(/^unknown event name/);
    });

    it('a job name that differs from the event name', () => {
      expect(reasonOf(valid(), 'api.updated')).toBe(
        'job name "api.updated" does not match event name api.created',
      );
    });

    it('a missing user or user.id', () => {
      expect(reasonOf(valid({ user: undefined }))).toBe('user.id is required');
      expect(reasonOf(valid({ user: 'u-1' }))).toBe('user.id is required');
      expect(reasonOf(valid({ user: {} }))).toBe('user.id is required');
      expect(reasonOf(valid({ user: { id: '' } }))).toBe('user.id is required');
      expect(reasonOf(valid({ user: { id: 42 } }))).toBe('user.id is required');
    });

    it('a non-string nickname', () => {
      expect(reasonOf(valid({ user: { id: 'u', nickname: 7 } }))).toBe('user.nickname must be a string');
    });

    it('a missing or empty resourceType', () => {
      expect(reasonOf(valid({ resourceType: '' }))).toBe('resourceType is required');
      expect(reasonOf(valid({ resourceType: undefined }))).toBe('resourceType is required');
    });

    it('neither apiId nor ownerId', () => {
      expect(reasonOf(valid({ apiId: undefined }))).toBe('one of apiId or ownerId is required');
      expect(reasonOf(valid({ apiId: null, ownerId: null }))).toBe('one of apiId or ownerId is required');
    });

    it('an empty or non-string apiId / ownerId', () => {
      expect(reasonOf(valid({ apiId: '' }))).toMatch(/apiId and ownerId must be non-empty strings/);
      expect(reasonOf(valid({ ownerId: 12 }))).toMatch(/apiId and ownerId must be non-empty strings/);
    });

    it.each([
      ['user.id', { user: { id: 'u\u0000' } }],
      ['user.nickname', { user: { id: 'u', nickname: '\udfff' } }],
      ['resourceType', { resourceType: 'Api\u0000' }],
      ['ownerId', { ownerId: 'owner\u0000' }],
      ['apiId', { apiId: '\ud83d' }],
    ])('text PostgreSQL cannot store in %s (fails at once, never retried)', (_field, overrides) => {
      expect(reasonOf(valid(overrides))).toBe(
        'id, user, resourceType, apiId and ownerId must not contain NUL or unpaired surrogates',
      );
    });

    it('a resource with NUL and lone surrogates is fine: the stored body is JSON with escapes', () => {
      expect(validateEnvelope(valid({ resource: { text: 'a\u0000\ud800' } })).ok).toBe(true);
      expect(JSON.stringify({ text: 'a\u0000\ud800' })).toBe('{"text":"a\\u0000\\ud800"}');
    });

    it('a resource over 256 KiB', () => {
      expect(reasonOf(valid({ resource: 'x'.repeat(MAX_RESOURCE_BYTES - 1) }))).toBe(
        'resource is larger than 256 KiB',
      );
      // Bytes, not characters: 2-byte characters count twice.
      expect(reasonOf(valid({ resource: 'é'.repeat(MAX_RESOURCE_BYTES / 2) }))).toBe(
        'resource is larger than 256 KiB',
      );
    });

    it("an id with ':', empty, too long, not a string, or not visible ASCII (it is the webhook-id header)", () => {
      const message = `id must be 1 to ${MAX_EVENT_ID_LENGTH} visible ASCII characters (! to ~) other than ':'`;
      for (const id of [
        'evt:1',
        '',
        'a'.repeat(MAX_EVENT_ID_LENGTH + 1),
        42,
        'evt\r\n1',
        'evt\u007f',
        'evt\t1',
        'évènement',
        'evt-\u{1F600}',
        ' evt-1',
        'evt-1 ',
        'evt 1',
        '\u00a0evt',
        'evt-\u0000',
        'evt-\ud800',
      ]) {
        expect({ id, reason: reasonOf(valid({ id })) }).toEqual({ id, reason: message });
      }
    });

    it('accepts every visible ASCII character but the colon in an id', () => {
      let visible = '';
      for (let code = 0x21; code <= 0x7e; code += 1) if (code !== 0x3a) visible += String.fromCharCode(code);
      expect(validateEnvelope(valid({ id: visible })).ok).toBe(true);
      expect(validateEnvelope(valid({ id: 'a'.repeat(MAX_EVENT_ID_LENGTH) })).ok).toBe(true);
    });

    it('a timestamp that is not a real date-time, rather than one altered to fit', () => {
      for (const timestamp of [
        'yesterday',
        '2024-13-45T00:00:00Z',
        '',
        1_700_000_000_000,
        'March 7, 2024',
        '1',
        '2024-01-02',
        // Date.parse would deliver these as 1 March, 1 May and 1 March 2023.
        '2024-02-30T00:00Z',
        '2024-04-31T12:00:00Z',
        '2023-02-29T00:00:00Z',
        '2024-01-01T24:00:00Z',
        '2024-01-01T12:60:00Z',
        '2024-01-01T12:00:60Z',
        '2024-01-01T12:00:00+24:00',
        '0000-01-01T00:00:00Z',
        // A far offset must not turn into year 10000 (written +010000-…).
        '9999-12-31T23:30:00-01:00',
      ]) {
        expect({ timestamp, reason: reasonOf(valid({ timestamp })) }).toEqual({
          timestamp,
          reason: 'timestamp must be an ISO 8601 date-time with a real calendar date, years 1 to 9999',
        });
      }
    });

    it('accepts real date-times at the edges', () => {
      for (const timestamp of [
        '2024-02-29T00:00Z',
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999Z',
        '2024-06-30T23:59:59+14:00',
      ]) {
        expect({ timestamp, ok: validateEnvelope(valid({ timestamp })).ok }).toEqual({ timestamp, ok: true });
      }
    });

    it('a resource with a number JSON cannot carry, however deep', () => {
      const reason = 'resource holds a number JSON cannot carry (NaN, Infinity, or beyond ±1.8e308)';
      expect(reasonOf(valid({ resource: { size: Infinity } }))).toBe(reason);
      expect(reasonOf(valid({ resource: [1, [2, { n: NaN }]] }))).toBe(reason);
      expect(reasonOf(valid({ resource: JSON.parse('{"big": 1e309}') }))).toBe(reason);
      expect(reasonOf(valid({ resource: -Infinity }))).toBe(reason);
      expect(validateEnvelope(valid({ resource: { n: 1.7976931348623157e308, m: -0 } })).ok).toBe(true);
    });

    it('identifiers over 255 characters, and an envelope over 264 KiB whatever makes it so', () => {
      const long = 'u'.repeat(MAX_IDENTIFIER_LENGTH + 1);
      for (const overrides of [
        { user: { id: long } },
        { user: { id: 'u', nickname: long } },
        { resourceType: long },
        { ownerId: long },
        { apiId: long },
      ]) {
        expect(reasonOf(valid(overrides))).toBe(
          'user.id, user.nickname, resourceType, apiId and ownerId must be at most 255 characters',
        );
      }
      expect(validateEnvelope(valid({ user: { id: 'u'.repeat(MAX_IDENTIFIER_LENGTH) } })).ok).toBe(true);
      expect(reasonOf({ ...valid(), padding: 'x'.repeat(MAX_ENVELOPE_BYTES) })).toBe(
        'envelope is larger than 264 KiB',
      );
    });

    it('data that is not an object (null, array, string, number)', () => {
      for (const data of [null, undefined, [valid()], 'api.created', 42]) {
        expect(reasonOf(data)).toBe('envelope must be a JSON object');
      }
    });
  });
});

describe('toPlatformEvent', () => {
  it('orders keys id, name, timestamp, user, resourceType, resource, apiId, ownerId', () => {
    const event = toPlatformEvent(
      {
        ownerId: 'o-1',
        apiId: API_ID,
        resource: { b: 1, a: 2 },
        resourceType: 'Api',
        user: { id: 'u-1' },
        name: 'api.updated',
        id: 'ignored',
        timestamp: '2000-01-01T00:00:00.000Z',
      },
      'evt-1',
      '2024-01-02T01:04:05.000Z',
    );
    expect(Object.keys(event)).toEqual([
      'id',
      'name',
      'timestamp',
      'user',
      'resourceType',
      'resource',
      'apiId',
      'ownerId',
    ]);
    expect(JSON.stringify(event)).toBe(
      `{"id":"evt-1","name":"api.updated","timestamp":"2024-01-02T01:04:05.000Z","user":{"id":"u-1"},` +
        `"resourceType":"Api","resource":{"b":1,"a":2},"apiId":"${API_ID}","ownerId":"o-1"}`,
    );
  });

  it('omits apiId and ownerId when absent', () => {
    const event = toPlatformEvent(
      { name: 'user.created', user: { id: 'u' }, resourceType: 'User', resource: null, ownerId: 'u' },
      'e',
      't',
    );
    expect(Object.keys(event)).toEqual([
      'id',
      'name',
      'timestamp',
      'user',
      'resourceType',
      'resource',
      'ownerId',
    ]);
    const withApi = toPlatformEvent(
      { name: 'api.created', user: { id: 'u' }, resourceType: 'Api', resource: {}, apiId: API_ID },
      'e',
      't',
    );
    expect(Object.keys(withApi)).toEqual([
      'id',
      'name',
      'timestamp',
      'user',
      'resourceType',
      'resource',
      'apiId',
    ]);
  });
});

describe('validateEnvelope on generated hostile data', () => {
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('\u0000', '\ud800', '', ':', 'api.created'),
  );
  const envelope = fc.record(
    {
      id: fc.oneof(hostile, fc.jsonValue()),
      name: fc.oneof(fc.constantFrom('api.created', 'webhook.ping', 'api.exploded'), hostile),
      timestamp: fc.oneof(
        hostile,
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
      user: fc.oneof(fc.record({ id: hostile, nickname: fc.oneof(hostile, fc.jsonValue()) }), fc.jsonValue()),
      resourceType: fc.oneof(hostile, fc.constant('Api')),
      resource: fc.jsonValue({ maxDepth: 4 }),
      apiId: fc.oneof(hostile, fc.uuid()),
      ownerId: hostile,
    },
    { requiredKeys: [] },
  );

  it('never throws, and whatever it accepts PostgreSQL can store', () => {
    fc.assert(
      fc.property(fc.oneof(envelope, fc.jsonValue()), (data) => {
        const check = validateEnvelope(data);
        if (!check.ok) return;
        const { id, user, resourceType, apiId, ownerId } = check.envelope;
        for (const text of [id, user.id, user.nickname, resourceType, apiId, ownerId]) {
          if (text !== undefined && text !== null) {
            expect(text.includes('\u0000') || !text.isWellFormed()).toBe(false);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
