import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['200ms', 200],
    ['5s', 5_000],
    ['5m', 300_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['5d', 432_000_000],
    ['30d', 2_592_000_000],
    ['1500', 1_500],
    ['0', 0],
    ['0s', 0],
    ['5ms', 5],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('treats a bare number as milliseconds, not seconds', () => {
    expect(parseDuration('15')).toBe(15);
    expect(parseDuration('15000')).toBe(15_000);
  });

  it('accepts fractional values and rounds to whole milliseconds', () => {
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('0.5m')).toBe(30_000);
    expect(parseDuration('1.4ms')).toBe(1);
    expect(parseDuration('1.6ms')).toBe(2);
  });

  it('tolerates surrounding whitespace and a space before the unit (as the code allows)', () => {
    expect(parseDuration('  5s  ')).toBe(5_000);
    expect(parseDuration('5 s')).toBe(5_000);
    expect(parseDuration('\t2h\n')).toBe(7_200_000);
  });

  it.each([
    [''],
    ['   '],
    ['abc'],
    ['5x'],
    ['-1s'],
    ['-100'],
    ['+5s'],
    ['s'],
    ['ms'],
    ['5S'],
    ['5M'],
    ['5sec'],
    ['5 seconds'],
    ['5s5m'],
    ['5s,5m'],
    ['1e3'],
    ['.5s'],
    ['5.s'],
    ['0x10'],
    ['Infinity'],
    ['NaN'],
    ['5 5s'],
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects values too large to be a safe integer number of milliseconds', () => {
    expect(parseDuration('99999999999999999999d')).toBeUndefined();
    expect(parseDuration(`${'9'.repeat(400)}`)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [200, '200ms'],
    [1_500, '1500ms'],
    [5_000, '5s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [1_800_000, '30m'],
    [5_400_000, '90m'],
    [7_200_000, '2h'],
    [36_000_000, '10h'],
    [86_400_000, '1d'],
    [129_600_000, '36h'],
    [432_000_000, '5d'],
    [0, '0ms'],
    [1, '1ms'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1_000, 1_001, 60_000, 61_000, 3_600_000, 86_400_000, 90_061_001])(
    'round-trips %d ms through parseDuration',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );

  it('formats the default retry schedule back to its documented spelling', () => {
    const schedule = '5s,5m,30m,2h,5h,10h,10h';
    const ms = schedule.split(',').map((part) => parseDuration(part) as number);
    expect(ms.map(formatDuration).join(',')).toBe(schedule);
  });
});
