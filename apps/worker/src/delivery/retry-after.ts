/** The Retry-After header of a receiver's 429/503 (the lifecycle decides what it changes). */

/** Statuses whose Retry-After header is honoured. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Delta-seconds: one or more digits, nothing else (RFC 9110 §10.2.3). */
const DELTA_SECONDS = /^\d+$/;

/**
 * An HTTP-date always names a month or weekday, which keeps Date.parse's lenient guessing
 * (`"12"`, `"1.5"`, `"-3"`) from being read as a date.
 */
const HTTP_DATE_HINT = /[a-z]{3}/i;

/**
 * Reads a Retry-After header: delta-seconds or an HTTP-date. Returns milliseconds from `nowMs`
 * (never negative: a date in the past means "now"), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELTA_SECONDS.test(text)) {
    // Absurd values are still "wait long"; the caller caps them, so only keep them finite.
    return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  }
  if (!HTTP_DATE_HINT.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
