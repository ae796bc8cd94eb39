export interface CachedReadingOptions<T> {
  /** Reads the values (from PostgreSQL or Redis). */
  read: () => Promise<T>;
  /** Served until a first read succeeds. */
  initial: T;
  /** A read's values are served for this long after it ends, whether it succeeded or failed. */
  windowMs: number;
  /** Told about a failed read (the last values are served instead). */
  onFailure: (error: unknown) => void;
  now?: () => number;
}

/**
 * Values read at scrape time, read at most once per window: scrapes within the window get the
 * last values, and scrapes that arrive while a read runs share that read. A scrape flood then
 * costs PostgreSQL and Redis nothing more. A failed read never fails the scrape: the last values
 * are served and the failure reported; it starts a window too, so a flood during an outage does
 * not turn into a flood of reads.
 */
export class CachedReading<T> {
  private value: T;
  private readAt = -Infinity;
  private reading: Promise<T> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CachedReadingOptions<T>) {
    this.value = options.initial;
    this.now = options.now ?? Date.now;
  }

  get(): Promise<T> {
    if (this.now() - this.readAt < this.options.windowMs) return Promise.resolve(this.value);
    this.reading ??= this.refresh().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async refresh(): Promise<T> {
    try {
      this.value = await this.options.read();
    } catch (error) {
      this.options.onFailure(error);
    }
    this.readAt = this.now();
    return this.value;
  }
}
