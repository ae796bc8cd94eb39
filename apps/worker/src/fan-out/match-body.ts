/**
 * An event body as jsonb can hold it, for payload filters only (README → Payload filters). The body
 * is JSON.stringify's output, delivered as it is; jsonb refuses two escapes it may contain: `\u0000`
 * (NUL) and a lone surrogate (`\ud800`), and one such body would fail the whole fan-out statement.
 * Here both become `\ufffd`; a filter never holds either (the API refuses them), so no filter
 * matches differently for it. Nesting is no concern: V8's JSON.stringify gives up (some thousand
 * levels) long before PostgreSQL's parser does (over ten thousand).
 */
const SUSPECT = /\\u(?:0000|d[89a-f])/i;
/**
 * Escapes in order, so `\\u0000` (a backslash, then the text u0000) is read as it is: a valid pair,
 * any other \u escape, or any other escaped character.
 */
const ESCAPE = /\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})|\\[^u]/gi;
const REFUSED = /^(?:0000|d[89a-f][0-9a-f]{2})$/i;

/** The body to match filters on when jsonb would refuse `body`; null when `body` itself will do. */
export function matchBody(body: string): string | null {
  if (!SUSPECT.test(body)) return null;
  const safe = body.replace(ESCAPE, (escape, _high, _low, single: string | undefined) =>
    single !== undefined && REFUSED.test(single) ? '\\ufffd' : escape,
  );
  return safe === body ? null : safe;
}
