import { ConfigError, loadConfig } from '@app/config';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('Portal configuration (README → Configuration)', () => {
  it('defaults: no framing, 8 h sessions, links from the request', () => {
    expect(loadConfig({}).portal).toEqual({
      frameAncestors: "'none'",
      sessionTtlMs: 8 * 3_600_000,
      publicBaseUrl: undefined,
    });
  });

  it.each([
    ["'self'", "'self'"],
    ['self', "'self'"],
    ['none', "'none'"],
    ['https://dashboard.apitree.com', 'https://dashboard.apitree.com'],
    [
      "'self'  https://A.example.com:8443 https://*.apitree.dev",
      "'self' https://a.example.com:8443 https://*.apitree.dev",
    ],
    ['https://x.example https://x.example', 'https://x.example'],
  ])('PORTAL_FRAME_ANCESTORS=%j → %s', (text, expected) => {
    expect(loadConfig({ PORTAL_FRAME_ANCESTORS: text }).portal.frameAncestors).toBe(expected);
  });

  it.each([
    ["'none' https://a.example"],
    ['https://a.example; script-src *'],
    ['https://a.example/path'],
    ['*'],
    ['javascript:alert(1)'],
    ["'unsafe-inline'"],
    ['https://a.example,https://b.example'],
    ['https://a.example:99999'],
    ['ftp://a.example'],
    ['https://a.exa"mple'],
  ])('refuses PORTAL_FRAME_ANCESTORS=%j, naming it', (text) => {
    expect(configError({ PORTAL_FRAME_ANCESTORS: text })).toMatch(
      /^Invalid configuration: PORTAL_FRAME_ANCESTORS must be 'none', 'self' or space-separated origins/,
    );
  });

  it('PUBLIC_BASE_URL is an origin', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://events.example.com/' }).portal.publicBaseUrl).toBe(
      'https://events.example.com',
    );
    for (const text of [
      'https://events.example.com/api',
      'https://u:p@events.example.com',
      'ftp://x',
      'nope',
    ]) {
      expect(configError({ PUBLIC_BASE_URL: text })).toMatch(/^Invalid configuration: PUBLIC_BASE_URL /);
    }
  });

  it('PORTAL_SESSION_TTL is a duration', () => {
    expect(loadConfig({ PORTAL_SESSION_TTL: '30m' }).portal.sessionTtlMs).toBe(1_800_000);
    expect(configError({ PORTAL_SESSION_TTL: 'forever' })).toMatch(/PORTAL_SESSION_TTL must be a duration/);
  });
});
