import { isReservedHeaderName, withoutReservedHeaders } from './reserved-headers';

describe('withoutReservedHeaders', () => {
  it('leaves out a stored custom header whose name is reserved (stored before it was), in any case', () => {
    const sendable = withoutReservedHeaders({
      'X-Key': 'k',
      'Content-Encoding': 'gzip',
      'content-md5': 'x',
      'X-ApiTree': 'y',
      WEBHOOK: 'z',
      Host: 'evil.example',
    });
    expect(sendable).toEqual({ 'X-Key': 'k' });
  });

  it('keeps every header when none is reserved, as a map of its own', () => {
    const stored = { Authorization: 'Bearer abc', 'X-Team': 'platform' };
    const sendable = withoutReservedHeaders(stored);
    expect(sendable).toEqual(stored);
    expect(Object.keys(sendable).some(isReservedHeaderName)).toBe(false);
  });
});
