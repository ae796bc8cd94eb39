export interface BatcherOptions<I, O> {
  /** A batch is flushed as soon as it holds this many items. */
  maxSize: number;
  /**
   * …or this long after its first item arrived. 0: as soon as the current macrotask is over, so
   * only what arrives together (and what waits for a busy slot) shares a batch.
   */
  maxDelayMs: number;
  /** Batches running at once; further items wait and coalesce into the next batch. Default 1. */
  maxInFlight?: number;
  /** Runs one batch; must return one result per item, in the items' order. */
  run(items: readonly I[]): Promise<readonly O[]>;
  /**
   * Runs one item alone, when the batch it was in failed; default `run([item])`. So one bad item
   * fails alone and its neighbours still succeed.
   */
  runOne?(item: I): Promise<O>;
  /** Told the size of every batch as it starts (metrics). */
  onBatch?(size: number): void;
}

interface Pending<I, O> {
  item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items added by concurrent callers are handed to `run` together, at most `maxSize`
 * at a time, after at most `maxDelayMs`. Each caller's promise settles only once its batch has
 * finished, so a caller that acts on the result (completes a job) never runs ahead of the commit.
 */
export class Batcher<I, O> {
  private pending: Array<Pending<I, O>> = [];
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  /** Items are waiting past their delay (or past a full batch) for a free slot. */
  private overdue = false;
  private readonly maxInFlight: number;

  constructor(private readonly options: BatcherOptions<I, O>) {
    if (options.maxSize < 1) throw new RangeError('maxSize must be at least 1');
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.closed || this.pending.length >= this.options.maxSize) this.flushNow();
      else if (!this.timer && !this.overdue) {
        this.timer =
          this.options.maxDelayMs > 0
            ? setTimeout(() => this.onTimer(), this.options.maxDelayMs)
            : setImmediate(() => this.onTimer());
      }
    });
  }

  /** Runs what is pending now, waits for every batch still running; later adds run at once. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.running.size > 0) {
      this.flushNow();
      await Promise.allSettled([...this.running]);
    }
    this.clearTimer();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.overdue = true;
    this.flushNow();
  }

  private clearTimer(): void {
    if (this.timer && this.options.maxDelayMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else if (this.timer) clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  /** Starts as many batches as slots allow; the rest waits for a slot. */
  private flushNow(): void {
    this.clearTimer();
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.pending.splice(0, this.options.maxSize);
      this.options.onBatch?.(batch.length);
      this.inFlight += 1;
      const running = this.execute(batch).finally(() => {
        this.inFlight -= 1;
        this.running.delete(running);
        this.afterBatch();
      });
      this.running.add(running);
    }
    this.overdue = this.pending.length > 0;
  }

  /** Items that waited for a slot go out now if overdue, full or closing; else their timer runs. */
  private afterBatch(): void {
    if (this.pending.length === 0) return;
    if (this.overdue || this.closed || this.pending.length >= this.options.maxSize) this.flushNow();
  }

  private async execute(batch: Array<Pending<I, O>>): Promise<void> {
    let results: readonly O[];
    try {
      results = await this.options.run(batch.map((entry) => entry.item));
      if (results.length !== batch.length) {
        throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
      }
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      await Promise.all(batch.map((entry) => this.runAlone(entry)));
      return;
    }
    batch.forEach((entry, index) => entry.resolve(results[index]));
  }

  private async runAlone(entry: Pending<I, O>): Promise<void> {
    try {
      const result = this.options.runOne
        ? await this.options.runOne(entry.item)
        : (await this.options.run([entry.item]))[0];
      entry.resolve(result);
    } catch (error) {
      entry.reject(error);
    }
  }
}
