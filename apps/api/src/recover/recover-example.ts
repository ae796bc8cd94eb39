/** The path and example name of the recover request's example in the OpenAPI document. */
export const RECOVER_EXAMPLE_PATH = '/webhooks/{id}/recover';
export const RECOVER_EXAMPLE_NAME = 'window';

/** The outage the example describes, shortened where DELIVERY_LOG_RETENTION is shorter still. */
const EXAMPLE_WINDOW_MS = 6 * 60 * 60 * 1000;

/**
 * The recover request's example (README → API → Recovering failed deliveries): the six hours before
 * `now`, whole seconds, so that it is accepted when sent as it is. A fixed date would fall out of
 * DELIVERY_LOG_RETENTION and be a 400; the document is served with this computed at each request.
 */
export function recoverExample(now: number, retentionMs: number): { since: string; until: string } {
  const until = Math.floor(now / 1000) * 1000;
  const since = until - Math.max(1000, Math.min(EXAMPLE_WINDOW_MS, Math.floor(retentionMs / 2000) * 1000));
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}
