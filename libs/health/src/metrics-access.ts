import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * METRICS_TOKEN: when configured, a scrape must send `Authorization: Bearer <token>`. Both sides are
 * hashed first so the comparison is constant-time whatever their lengths.
 */
export function scrapeAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const presented = BEARER.exec(authorization ?? '')?.[1];
  if (presented === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * A scrape's text, collected at most once per `windowMs`: concurrent and rapid scrapes share one
 * collection, so a scrape flood costs the process next to nothing.
 */
export class CachedScrape {
  private text?: string;
  private collectedAt = 0;
  private inFlight?: Promise<string>;

  constructor(
    private readonly collect: () => Promise<string>,
    private readonly windowMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  read(): Promise<string> {
    if (this.text !== undefined && this.now() - this.collectedAt < this.windowMs) {
      return Promise.resolve(this.text);
    }
    this.inFlight ??= this.collect()
      .then((text) => {
        this.text = text;
        this.collectedAt = this.now();
        return text;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}
