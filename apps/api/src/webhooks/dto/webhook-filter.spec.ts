import { MAX_FILTER_BYTES, storedFilter, webhookFilterErrors } from './webhook-filter';

const fields = (filter: unknown) => webhookFilterErrors(filter).map((error) => error.field);

describe('webhookFilterErrors', () => {
  it('takes objects of the Event fields, and null', () => {
    expect(fields(null)).toEqual([]);
    expect(fields({})).toEqual([]);
    expect(fields({ resource: { visibility: 'public', tags: ['a', { b: [1, null, true] }] } })).toEqual([]);
    expect(
      fields({ id: 'e', name: 'api.created', apiId: 'x', ownerId: 'o', user: {}, timestamp: 't' }),
    ).toEqual([]);
  });

  it('counts the filter itself as the first of five levels; scalars are no level', () => {
    expect(fields({ resource: { a: { b: { c: 1 } } } })).toEqual([]);
    expect(fields({ resource: { a: { b: { c: [1] } } } })).toEqual([]);
    expect(fields({ resource: { a: { b: { c: { d: 1 } } } } })).toEqual([]);
    expect(fields({ resource: { a: { b: { c: { d: {} } } } } })).toEqual(['filter']);
    expect(fields({ resource: { a: { b: { c: [[1]] } } } })).toEqual(['filter']);
  });

  it('names the part that is wrong', () => {
    expect(fields([])).toEqual(['filter']);
    expect(fields('x')).toEqual(['filter']);
    expect(fields({ visibility: 'public' })).toEqual(['filter.visibility']);
    expect(fields({ resource: { n: Infinity } })).toEqual(['filter.resource.n']);
    expect(fields({ resource: { list: ['ok', 'a\u0000'] } })).toEqual(['filter.resource.list[1]']);
    // An own __proto__ key, as JSON.parse makes one: refused, never followed.
    expect(fields(JSON.parse('{"resource":{"__proto__":{"x":1}}}'))).toEqual(['filter.resource.__proto__']);
  });

  it('bounds the keys and the size', () => {
    const keys = (n: number) => ({
      resource: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
    });
    expect(fields(keys(49))).toEqual([]);
    expect(fields(keys(50))).toEqual(['filter']);
    const text = (length: number) => ({ resource: { t: 'é'.repeat(length) } });
    expect(fields(text(2000))).toEqual([]);
    // Bytes, not characters.
    expect(Buffer.byteLength(JSON.stringify(text(2100)))).toBeGreaterThan(MAX_FILTER_BYTES);
    expect(fields(text(2100))).toEqual(['filter']);
  });
});

describe('storedFilter', () => {
  it('stores {} and null as null', () => {
    expect(storedFilter({})).toBeNull();
    expect(storedFilter(null)).toBeNull();
    expect(storedFilter(undefined)).toBeNull();
    expect(storedFilter({ resourceType: 'Api' })).toEqual({ resourceType: 'Api' });
  });
});
