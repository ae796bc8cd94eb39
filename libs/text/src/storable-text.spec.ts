import fc from 'fast-check';
import { isStorableText, toStorableText } from './storable-text';

const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);

describe('storable text', () => {
  it('toStorableText always gives text PostgreSQL can store, and keeps what was already storable', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const stored = toStorableText(text);
        expect(isStorableText(stored)).toBe(true);
        expect(stored.length).toBe(text.length);
        if (isStorableText(text)) expect(stored).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['\u0000', false],
    ['\ud800', false],
    ['a\udc00', false],
    ['😀', true],
    ['\ufffd', true],
  ])('%j storable: %s', (text, storable) => {
    expect(isStorableText(text)).toBe(storable);
  });
});
