/*
 * The names a webhook's custom header may not take (README → API → Webhook fields, `headers`):
 * the request's framing and content headers, hop-by-hop headers the HTTP client refuses to send,
 * and our own (the Standard Webhooks `webhook-*` headers, `x-apitree-*`, the user agent). A custom
 * header may never replace or confuse them. The API refuses them; the worker never sends one that
 * was stored before its name was reserved.
 */

const RESERVED_NAMES = new Set([
  'host',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
  'user-agent',
  'webhook',
  'x-apitree',
]);
/** Every `content-*` (type, length, encoding, MD5, …) describes the body, which is ours. */
const RESERVED_PREFIXES = ['content-', 'webhook-', 'x-apitree-'];

/** What the refusal says: the same rule as isReservedHeaderName, in words. */
export const RESERVED_HEADERS_RULE =
  'host, content-*, connection and other hop-by-hop headers, user-agent, webhook and webhook-*, x-apitree and x-apitree-* are set by ApiTree';

/** Whether `name` (any case) is reserved for ApiTree. */
export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The custom headers a delivery sends: those of `headers` whose names are not reserved (one stored
 * before its name was reserved, a `Content-Encoding` say, is left out). The map itself when none is.
 */
export function withoutReservedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const names = Object.keys(headers);
  if (!names.some(isReservedHeaderName)) return { ...headers };
  return Object.fromEntries(
    names.filter((name) => !isReservedHeaderName(name)).map((name) => [name, headers[name]]),
  );
}
