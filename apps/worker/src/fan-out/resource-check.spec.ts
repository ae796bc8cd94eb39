import { EVENT_CATALOG_ENTRIES, EventEnvelope } from '@app/events';
import { ResourceCheck, SCHEMA_WARN_INTERVAL_MS } from './resource-check';

const envelope = (resource: unknown, resourceType = 'Api'): EventEnvelope => ({
  name: 'api.created',
  user: { id: 'u' },
  resourceType,
  resource,
  apiId: 'a',
});

describe('ResourceCheck (README → Event schemas)', () => {
  it("accepts every catalog entry's example", () => {
    const check = new ResourceCheck();
    for (const { example } of EVENT_CATALOG_ENTRIES) {
      expect(check.check(example as unknown as EventEnvelope)).toBeUndefined();
    }
  });

  it.each([
    ['no id', {}, '/resource/id'],
    ['an id that is not a string', { id: 7 }, '/resource/id'],
    ['null', null, '/resource'],
    ['an array', [{ id: 'x' }], '/resource'],
    ['a string', '{"id":"x"}', '/resource'],
  ])('names the first path of a resource with %s', (_label, resource, path) => {
    expect(new ResourceCheck().check(envelope(resource))).toMatchObject({ event: 'api.created', path });
  });

  it("names /resourceType when it is not the catalog's", () => {
    expect(new ResourceCheck().check(envelope({ id: 'x' }, 'Plan'))?.path).toBe('/resourceType');
  });

  it('warns once per (event, path) per minute', () => {
    let now = 1_000_000;
    const check = new ResourceCheck(() => now);
    const missing = check.check(envelope({}))!;
    const wrongType = check.check(envelope({ id: 1 }, 'Plan'))!;
    expect([check.shouldWarn(missing), check.shouldWarn(missing), check.shouldWarn(wrongType)]).toEqual([
      true,
      false,
      true,
    ]);
    now += SCHEMA_WARN_INTERVAL_MS - 1;
    expect(check.shouldWarn(missing)).toBe(false);
    now += 1;
    expect(check.shouldWarn(missing)).toBe(true);
  });
});
