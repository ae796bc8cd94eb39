/**
 * Some webhook URLs are credentials: whoever holds `https://hooks.slack.com/services/…` can post to
 * the channel. Wherever a URL is shown to someone other than the webhook's managers (webhook.readonly
 * tokens, lifecycle events, logs), the parts that may be the credential are replaced by URL_MASK,
 * keeping what lets a person recognise the endpoint (README → Security → Credential URLs):
 *
 * - on the hosts of hook services whose URL path is the credential (CREDENTIAL_PATHS: Slack,
 *   Discord, Microsoft Teams / Office 365, Zapier, Make, IFTTT), the path after the service's marker
 *   segment (`/services/••••`, `/api/webhooks/••••`, `/webhookb2/••••` …), the host and the path
 *   read as the service's server reads them (host case, a trailing dot, `www.`; the marker
 *   percent-decoded, `//` ignored), and the whole path where no marker is found;
 * - the value of every query parameter whose name (case and `-`/`_`/`.` aside) contains `token`,
 *   `key`, `secret`, `sig`, `auth`, `pass`, `pwd` or `credential` (Google Chat's `key` and `token`,
 *   Azure's `sig`, `access_token`, `api_key` …);
 * - the password of a userinfo (`user:••••@`), and the whole fragment.
 *
 * A hidden part whose last segment has 20 characters or more keeps its last 4 characters
 * (`••••x9Qz`), so two endpoints of one service can be told apart while at least 16 characters of
 * that segment stay hidden. Masking is idempotent.
 */
export const URL_MASK = '••••';

/**
 * Hosts whose URL path is a credential, and where it starts: the path after the first segment
 * named in `after` (lower case), or after the first segment at all (`after: 'first'`), or the whole
 * path (`after: 'root'`). Only known services: a marker such as `/hooks/` on any host would also
 * hide the ordinary paths of customers' own endpoints (`/webhooks/orders`).
 */
const CREDENTIAL_PATHS: Array<{ host: RegExp; after: 'first' | 'root' | ReadonlySet<string> }> = [
  { host: /^hooks\.slack(-gov)?\.com$/, after: 'first' },
  { host: /^((canary|ptb)\.)?discord(app)?\.com$/, after: new Set(['webhooks']) },
  {
    host: /(^|\.)webhook\.office\.com$|^outlook\.office(365)?\.com$/,
    after: new Set(['webhookb2', 'webhook']),
  },
  { host: /^hooks\.zapier\.com$/, after: new Set(['hooks']) },
  { host: /^hook\.([a-z\d-]+\.)?(make|integromat)\.com$/, after: 'root' },
  { host: /^maker\.ifttt\.com$/, after: new Set(['key']) },
];
const SECRET_PARAMETER = /token|key|secret|sig|auth|pass|pwd|credential/;
const SHOWN_TAIL = 4;
const TAIL_FROM_LENGTH = 20;

// scheme://authority, path, ?query, #fragment (the groups cannot fail to match once the scheme has).
const URL_PARTS = /^([a-z][a-z\d+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#[^]*)?$/i;
/** An absolute URL inside free text: a scheme, `://`, then up to whitespace, a quote or a bracket. */
const URL_IN_TEXT = /[a-z][a-z\d+.-]*:\/\/[^\s"'<>`\\{}|^]+/gi;
/** Punctuation that ends a sentence rather than the URL before it. */
const TRAILING_PUNCTUATION = /[.,:;!?)\]]+$/;
/** Bullets, as typed or percent-encoded: what a masked URL sent back contains. */
const MASK_IN_URL = /\u2022|%e2%80%a2/i;

interface Masked {
  text: string;
  /** What was hidden, for finding it again elsewhere (a response that echoes the path). */
  hidden: string[];
}

function hide(part: string, hidden: string[]): string {
  if (part === '' || part.startsWith(URL_MASK)) return part;
  hidden.push(part);
  const last = part.slice(part.lastIndexOf('/') + 1);
  return last.length >= TAIL_FROM_LENGTH ? URL_MASK + part.slice(-SHOWN_TAIL) : URL_MASK;
}

function hostnameOf(url: string, hostPort: string): string {
  try {
    // WHATWG's host is what the worker connects to (percent-decoded, lower-cased, IDNA).
    return new URL(url).hostname.replace(/\.$/, '');
  } catch {
    return hostPort.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
  }
}

function maskAuthority(authority: string, hidden: string[]): string {
  const at = authority.lastIndexOf('@');
  if (at < 0) return authority;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return authority;
  return `${userinfo.slice(0, colon + 1)}${hide(userinfo.slice(colon + 1), hidden)}${authority.slice(at)}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The hook service at this host, matched as the host is reached: any case, a trailing dot and a
 * leading `www.` aside.
 */
function serviceAt(hostname: string): (typeof CREDENTIAL_PATHS)[number] | undefined {
  const host = hostname
    .toLowerCase()
    .replace(/\.+$/, '')
    .replace(/^www\./, '');
  return CREDENTIAL_PATHS.find((service) => service.host.test(host));
}

/**
 * On a hook service's host, the path from its marker on, as the service's server reads the path:
 * empty segments (`//`) ignored, the marker compared percent-decoded and in any case
 * (`/api/%77ebhooks/`); where no marker is found, the whole path (such a host serves hooks only).
 */
function maskPath(path: string, hostname: string, hidden: string[]): string {
  const service = serviceAt(hostname);
  if (service === undefined) return path;
  const segments = path.split(/[/\\]/).filter((segment) => segment !== '');
  let shown = 0;
  if (service.after === 'first') shown = Math.min(1, segments.length);
  else if (service.after !== 'root') {
    const markers = service.after;
    shown = segments.findIndex((segment) => markers.has(safeDecode(segment).toLowerCase())) + 1;
  }
  const rest = segments.slice(shown);
  if (rest.length === 0) return path;
  const joined = rest.join('/');
  // Each segment counts on its own too, as written and decoded: a response may echo one of them.
  if (!joined.startsWith(URL_MASK)) {
    hidden.push(...rest, ...rest.map(safeDecode));
  }
  return `/${[...segments.slice(0, shown), hide(joined, hidden)].join('/')}`;
}

function parameterName(raw: string): string {
  let name = raw;
  try {
    name = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: judge the name as written.
  }
  return name.toLowerCase().replace(/[-_.\s]/g, '');
}

function maskQuery(query: string, hidden: string[]): string {
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      return SECRET_PARAMETER.test(parameterName(name)) ? `${name}=${hide(value, hidden)}` : pair;
    })
    .join('&');
}

function maskParts(url: string): Masked {
  const hidden: string[] = [];
  const parts = URL_PARTS.exec(url);
  // Not an absolute URL: nothing tells which part is harmless.
  if (!parts) return { text: url === '' ? url : hide(url, hidden), hidden };
  const [, scheme, authority, path, query = '', fragment = ''] = parts;
  const hostname = hostnameOf(url, authority.slice(authority.lastIndexOf('@') + 1));
  const text =
    scheme +
    maskAuthority(authority, hidden) +
    maskPath(path, hostname, hidden) +
    (query ? `?${maskQuery(query.slice(1), hidden)}` : '') +
    (fragment.length > 1 ? `#${hide(fragment.slice(1), hidden)}` : fragment);
  return { text, hidden };
}

/** The URL with its credential parts masked (see above). */
export function maskUrl(url: string): string {
  return maskParts(url).text;
}

function maskFoundUrl(found: string): string {
  const url = found.replace(TRAILING_PUNCTUATION, '');
  return maskParts(url).text + found.slice(url.length);
}

/**
 * Free text (a log message, a receiver's response) with every absolute URL in it masked; with
 * `ownUrl`, also every piece of 8 characters or more that maskUrl hides in it, wherever it appears
 * (a receiver answering `Cannot POST /hooks/<key>` echoes its own path without the host).
 */
export function maskUrlsInText(text: string, ownUrl?: string): string {
  let masked = text.includes('://') ? text.replace(URL_IN_TEXT, maskFoundUrl) : text;
  if (ownUrl) {
    const pieces = maskParts(ownUrl)
      .hidden.filter((piece) => piece.length >= 8)
      .sort((a, b) => b.length - a.length);
    for (const piece of pieces) masked = masked.split(piece).join(URL_MASK);
  }
  return masked;
}

/** True for a URL that carries the mask: sent back from a masked view, it would overwrite a real one. */
export function containsUrlMask(url: string): boolean {
  return MASK_IN_URL.test(url);
}
