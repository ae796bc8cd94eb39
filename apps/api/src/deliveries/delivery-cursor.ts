/**
 * The opaque `cursor` of GET /webhooks/{id}/deliveries: base64url of `<createdAt>|<attempt id>` of
 * the last item of the previous page. `createdAt` keeps PostgreSQL's microseconds: a cursor cut to
 * JavaScript's milliseconds would skip the rows created within the same millisecond.
 */
export interface DeliveryCursor {
  /** ISO 8601 UTC with up to 6 fractional digits. */
  createdAt: string;
  id: string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
const DECODED =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function encodeDeliveryCursor(cursor: DeliveryCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.id}`).toString('base64url');
}

/** The cursor, or null for anything this API did not hand out (checked before it reaches SQL). */
export function decodeDeliveryCursor(token: string): DeliveryCursor | null {
  if (!TOKEN.test(token)) return null;
  const match = DECODED.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) return null;
  const [, createdAt, id] = match;
  // A real calendar instant: PostgreSQL would refuse 2024-02-30 with an error, not an empty page.
  const parsed = new Date(createdAt);
  // Year 0 is a valid JavaScript date but not a PostgreSQL one.
  if (
    Number.isNaN(parsed.getTime()) ||
    parsed.getUTCFullYear() < 1 ||
    parsed.toISOString().slice(0, 19) !== createdAt.slice(0, 19)
  ) {
    return null;
  }
  return { createdAt, id };
}
