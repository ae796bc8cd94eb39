import { maxAttempts, nextRetryDelayMs, parseRetryAfter } from './retry-policy';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const SCHEDULE = [5_000, 300_000, 1_800_000];

describe('parseRetryAfter', () => {
  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7_000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('keeps absurdly large delta-seconds finite', () => {
    expect(parseRetryAfter('9'.repeat(400), NOW)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads an IMF-fixdate relative to now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 12:00:30 GMT', NOW)).toBe(30_000);
  });

  it('reads the obsolete RFC 850 and asctime forms', () => {
    expect(parseRetryAfter('Wednesday, 01-Jan-25 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Wed Jan  1 12:00:10 2025', NOW)).toBeGreaterThanOrEqual(0);
  });

  it('treats a date in the past as zero', () => {
    expect(parseRetryAfter('Tue, 31 Dec 2024 12:00:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', '   ', '-1', '1.5', '+3', '7s', 'soon', '12 34', 'Foo, 99 Bar 2025 99:99:99 GMT'])(
    'returns undefined for %j',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});

describe('maxAttempts', () => {
  it('is the immediate attempt plus one per delay', () => {
    expect(maxAttempts(SCHEDULE)).toBe(4);
    expect(maxAttempts([])).toBe(1);
  });
});

describe('nextRetryDelayMs', () => {
  const failure = { statusCode: 500 };

  it('follows the schedule: after attempt n comes scheduleMs[n-1]', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, failure)).toBe(5_000);
    expect(nextRetryDelayMs(2, SCHEDULE, failure)).toBe(300_000);
    expect(nextRetryDelayMs(3, SCHEDULE, failure)).toBe(1_800_000);
  });

  it('returns null when no attempt is left', () => {
    expect(nextRetryDelayMs(4, SCHEDULE, failure)).toBeNull();
    expect(nextRetryDelayMs(9, SCHEDULE, failure)).toBeNull();
    expect(nextRetryDelayMs(1, [], failure)).toBeNull();
  });

  it('treats network failures (no status) like any failure', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: null })).toBe(5_000);
  });

  it('never retries a 410 Gone', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: 410 })).toBeNull();
  });

  it.each([429, 503])('honours Retry-After on %i, up to twice the scheduled delay', (statusCode) => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode, retryAfterMs: 7_000 })).toBe(7_000);
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode, retryAfterMs: 60_000 })).toBe(10_000);
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode, retryAfterMs: 1_000 })).toBe(5_000);
    expect(nextRetryDelayMs(2, SCHEDULE, { statusCode, retryAfterMs: 0 })).toBe(300_000);
  });

  it('ignores Retry-After on other statuses', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: 500, retryAfterMs: 7_000 })).toBe(5_000);
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: null, retryAfterMs: 7_000 })).toBe(5_000);
  });

  it('still stops after the last attempt whatever Retry-After says', () => {
    expect(nextRetryDelayMs(4, SCHEDULE, { statusCode: 429, retryAfterMs: 1_000 })).toBeNull();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses failedAttempt %p', (attempt) => {
    expect(() => nextRetryDelayMs(attempt, SCHEDULE, failure)).toThrow(RangeError);
  });
});
