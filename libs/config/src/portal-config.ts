import { ConfigError, EnvReader } from './env-reader';

/** The delivery dashboard served under /portal (README → Portal). */
export interface PortalConfig {
  /** The CSP `frame-ancestors` source list: who may embed the portal in a frame. */
  readonly frameAncestors: string;
  /** A session's lifetime from its link's use; never past the bearer token's `exp`. */
  readonly sessionTtlMs: number;
  /** PUBLIC_BASE_URL: the origin browsers reach the API at (links, the same-origin check, `Secure` cookies). */
  readonly publicBaseUrl?: string;
}

/** One origin a browser would send: scheme, host (a leading `*.` allowed) and an optional port. */
const ORIGIN_SOURCE =
  /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;
const KEYWORDS: Record<string, string> = {
  self: "'self'",
  "'self'": "'self'",
  none: "'none'",
  "'none'": "'none'",
};

/**
 * PORTAL_FRAME_ANCESTORS: space-separated origins and/or `'self'`, or `'none'` (the default) alone. Anything
 * else (a path, a `;` that would start another CSP directive, a quote) stops start-up, since the value is
 * written into every portal response's Content-Security-Policy.
 */
export function parseFrameAncestors(text: string | undefined): string {
  if (text === undefined) return "'none'";
  const sources = text.split(/\s+/).filter(Boolean);
  const problem = (why: string) =>
    new ConfigError(
      'PORTAL_FRAME_ANCESTORS',
      `must be 'none', 'self' or space-separated origins such as https://app.example.com (${why}), got "${text}"`,
    );
  const parsed = sources.map((source) => {
    const keyword = KEYWORDS[source.toLowerCase()];
    if (keyword) return keyword;
    if (!ORIGIN_SOURCE.test(source)) throw problem(`"${source}" is not an origin`);
    const port = /:(\d+)$/.exec(source)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      throw problem(`bad port in "${source}"`);
    return source.toLowerCase();
  });
  if (parsed.includes("'none'") && parsed.length > 1) throw problem("'none' must stand alone");
  return [...new Set(parsed)].join(' ');
}

/** PUBLIC_BASE_URL: an origin only (a path would not match the cookie's `Path=/portal`). */
function parsePublicBaseUrl(reader: EnvReader): string | undefined {
  const text = reader.url('PUBLIC_BASE_URL', undefined, ['https:', 'http:']);
  if (text === undefined) return undefined;
  const url = new URL(text);
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new ConfigError(
      'PUBLIC_BASE_URL',
      `must be an origin such as https://events.example.com (no path, query or credentials), got "${text}"`,
    );
  }
  return url.origin;
}

export function parsePortalConfig(reader: EnvReader): PortalConfig {
  return {
    frameAncestors: parseFrameAncestors(reader.raw('PORTAL_FRAME_ANCESTORS')),
    sessionTtlMs: reader.duration('PORTAL_SESSION_TTL', '8h', 1000),
    publicBaseUrl: parsePublicBaseUrl(reader),
  };
}
