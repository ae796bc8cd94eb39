import { containsUrlMask } from './url-mask';

export const MAX_WEBHOOK_URL_LENGTH = 1000;

// RFC 7230/3986: no whitespace or control characters anywhere in a URL.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CHARACTERS = /[\s\u0000-\u001f\u007f]/;

/**
 * Syntax rules for a webhook URL (README → Webhook fields). Returns what is wrong, or null when it is
 * acceptable. Where it points is checked separately (checkUrlTarget).
 */
export function checkWebhookUrlSyntax(value: string): string | null {
  if (value.length > MAX_WEBHOOK_URL_LENGTH) {
    return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  }
  if (FORBIDDEN_CHARACTERS.test(value)) return 'must not contain whitespace or control characters';
  if (!value.isWellFormed()) return 'must not contain unpaired surrogates';
  // A URL copied from a masked view would silently replace the real one with a dead endpoint.
  if (containsUrlMask(value)) return 'must be the full URL, not a masked one (•••• hides a credential)';
  if (!/^https?:\/\//i.test(value)) return 'must be an absolute http or https URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'must be an absolute http or https URL';
  }
  // RFC 3986 has no backslash. WHATWG reads it as `/`, RFC 3986 parsers do not: in
  // `http://a.example\@127.0.0.1/` they see userinfo `a.example\` and host 127.0.0.1.
  if (value.includes('\\')) return 'must not contain backslashes';
  // The parser drops an empty userinfo (`https://@host/`): look at the authority as written.
  const authority = /^https?:\/\/([^/?#\\]*)/i.exec(value)?.[1] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    return 'must not contain credentials (user:password@)';
  }
  if (url.port !== '' && Number(url.port) === 0) return 'must have a port from 1 to 65535';
  if (url.hostname === '') return 'must name a host';
  return null;
}
