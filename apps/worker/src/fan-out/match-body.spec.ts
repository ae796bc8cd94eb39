import { matchBody } from './match-body';

describe('matchBody', () => {
  const body = (resource: unknown) => JSON.stringify({ id: 'e', resource });

  it('leaves bodies jsonb takes as they are (null: use the body)', () => {
    expect(matchBody(body({ visibility: 'public', emoji: '😀', tab: '\t', quote: '"' }))).toBeNull();
    // A backslash followed by the text u0000 is no NUL.
    expect(matchBody(body({ path: '\\u0000 and \\ud800' }))).toBeNull();
  });

  it('replaces NUL and lone surrogates with U+FFFD, and nothing else', () => {
    const safe = matchBody(body({ a: 'x\u0000y', b: '\ud800', c: 'z\udfff', d: '\\\u0000', keep: '😀' }));
    expect(safe).not.toBeNull();
    expect(JSON.parse(safe as string)).toEqual({
      id: 'e',
      resource: { a: 'x\ufffdy', b: '\ufffd', c: 'z\ufffd', d: '\\\ufffd', keep: '😀' },
    });
  });

  it('replaces them in keys too', () => {
    expect(JSON.parse(matchBody(body({ 'k\u0000': 1 })) as string)).toEqual({
      id: 'e',
      resource: { 'k\ufffd': 1 },
    });
  });

  it('keeps an escaped surrogate pair (jsonb takes it)', () => {
    const text = '{"a":"\\ud83d\\ude00","b":"\\u0000"}';
    expect(matchBody(text)).toBe('{"a":"\\ud83d\\ude00","b":"\\ufffd"}');
  });
});
