/**
 * Retry timing for deliveries (SPEC §9). Pure: the processor feeds it the attempt that just failed
 * and gets back how long to wait, or null when the webhook has had all its attempts.
 */

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

/** Attempts a webhook gets for one event: the immediate one plus one per scheduled delay. */
export function maxAttempts(scheduleMs: readonly number[]): number {
  return scheduleMs.length + 1;
}

/**
 * Delay before the next attempt after attempt `failedAttempt` (1-based) failed, or null when no
 * attempt is left. `scheduleMs[i]` is the delay before attempt i + 2. A 410 is final (the webhook
 * is disabled), so it gets null too. After a 429/503 with Retry-After the wait is
 * max(scheduled, Retry-After), capped at twice the scheduled delay so a receiver cannot park us.
 */
export function nextRetryDelayMs(
  failedAttempt: number,
  scheduleMs: readonly number[],
  response: { statusCode: number | null; retryAfterMs?: number },
): number | null {
  if (!Number.isInteger(failedAttempt) || failedAttempt < 1) {
    throw new RangeError(`failedAttempt must be a positive integer, got ${failedAttempt}`);
  }
  if (response.statusCode === 410) return null;
  if (failedAttempt > scheduleMs.length) return null;
  const scheduled = scheduleMs[failedAttempt - 1];
  const retryAfter = response.retryAfterMs;
  if (
    response.statusCode !== null &&
    RETRY_AFTER_STATUSES.has(response.statusCode) &&
    retryAfter !== undefined &&
    Number.isFinite(retryAfter) &&
    retryAfter > scheduled
  ) {
    return Math.min(retryAfter, 2 * scheduled);
  }
  return scheduled;
}
