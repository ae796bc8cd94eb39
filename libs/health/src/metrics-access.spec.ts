import { CachedScrape, scrapeAllowed } from './metrics-access';

describe('scrapeAllowed (METRICS_TOKEN)', () => {
  const token = 'metrics-token-0123456789';

  it('allows every scrape when no token is configured', () => {
    expect(scrapeAllowed(undefined, undefined)).toBe(true);
    expect(scrapeAllowed('Bearer anything', undefined)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['another token', 'Bearer metrics-token-0123456788'],
    ['a prefix of the token', 'Bearer metrics-token'],
    ['the token without the scheme', token],
    ['another scheme', `Basic ${token}`],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s', (_name, header) => {
    expect(scrapeAllowed(header, token)).toBe(false);
  });

  it('accepts the token as a bearer, whatever the scheme case', () => {
    expect(scrapeAllowed(`Bearer ${token}`, token)).toBe(true);
    expect(scrapeAllowed(`bearer ${token}`, token)).toBe(true);
  });
});

describe('CachedScrape', () => {
  it('collects once per window, shares a collection in flight, and collects again after the window', async () => {
    let clock = 0;
    let collections = 0;
    const scrape = new CachedScrape(
      async () => `text ${++collections}`,
      1_000,
      () => clock,
    );
    const concurrent = await Promise.all([scrape.read(), scrape.read(), scrape.read()]);
    expect(concurrent).toEqual(['text 1', 'text 1', 'text 1']);
    clock = 999;
    expect(await scrape.read()).toBe('text 1');
    clock = 1_000;
    expect(await scrape.read()).toBe('text 2');
    expect(collections).toBe(2);
  });

  it('a failed collection fails that scrape only; the next one collects again', async () => {
    let fail = true;
    const scrape = new CachedScrape(async () => {
      if (fail) throw new Error('boom');
      return 'ok';
    });
    await expect(scrape.read()).rejects.toThrow('boom');
    fail = false;
    expect(await scrape.read()).toBe('ok');
  });
});
