import { findHostileInput, MAX_JSON_DEPTH } from './hostile-input';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

describe('findHostileInput', () => {
  it('accepts ordinary JSON, 32 levels deep included', () => {
    expect(findHostileInput({ url: 'https://a.example/', events: [{ name: 'api.created' }] })).toBeNull();
    expect(findHostileInput(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(findHostileInput(undefined)).toBeNull();
  });

  it('refuses 33 levels, and 100,000 without overflowing the stack', () => {
    expect(findHostileInput(nested(MAX_JSON_DEPTH + 1))?.message).toMatch(/nested deeper than 32 levels/);
    expect(findHostileInput(nested(100_000))?.message).toMatch(/nested deeper than 32 levels/);
  });

  it.each([
    ['a lone high surrogate', { custom: 'x\ud800' }, 'custom'],
    ['a lone low surrogate', { a: [{ b: '\udc00y' }] }, 'a[0].b'],
    ['NUL', { userId: 'a\u0000b' }, 'userId'],
  ])('names the field holding %s', (_what, input, field) => {
    expect(findHostileInput(input)).toEqual({
      field,
      message: `${field} must not contain NUL or unpaired surrogates`,
    });
  });

  it('accepts well-formed astral characters and U+FFFD', () => {
    expect(findHostileInput({ nickname: 'ann 😀 \ufffd' })).toBeNull();
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', '__lookupGetter__'])(
    'refuses a field named %s, as JSON.parse makes it',
    (name) => {
      const parsed: unknown = JSON.parse(`{"events":[{"${name}":1}]}`);
      expect(findHostileInput(parsed)).toEqual({
        field: `events[0].${name}`,
        message: `property events[0].${name} should not exist`,
      });
    },
  );
});
