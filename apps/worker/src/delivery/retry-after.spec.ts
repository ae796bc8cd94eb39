import { parseRetryAfter } from './retry-after';

const NOW = Date.parse('2025-01-01T12:00:00Z');

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
