import { listenUrl } from '@app/config';

describe('listenUrl', () => {
  it('shows a wildcard listen address as localhost, others as they are', () => {
    expect(listenUrl('0.0.0.0', 3000)).toBe('http://localhost:3000');
    expect(listenUrl('::', 3001)).toBe('http://localhost:3001');
    expect(listenUrl('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000');
    expect(listenUrl('::1', 3000)).toBe('http://[::1]:3000');
    expect(listenUrl('api.internal', 8080)).toBe('http://api.internal:8080');
  });
});
