import { CachedReading } from './cached-reading';

/** A read the test settles by hand, so "in flight" is a state, not a timing. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('CachedReading', () => {
  let now: number;
  let reads: Array<ReturnType<typeof deferred<number>>>;
  let failures: unknown[];
  let reading: CachedReading<number>;

  beforeEach(() => {
    now = 1_000_000;
    reads = [];
    failures = [];
    reading = new CachedReading({
      read: () => {
        const read = deferred<number>();
        reads.push(read);
        return read.promise;
      },
      initial: -1,
      windowMs: 2_000,
      onFailure: (error) => failures.push(error),
      now: () => now,
    });
  });

  it('scrapes that arrive while a read runs share it', async () => {
    const scrapes = Array.from({ length: 50 }, () => reading.get());
    expect(reads).toHaveLength(1);
    reads[0].resolve(7);
    expect(await Promise.all(scrapes)).toEqual(Array(50).fill(7));
  });

  it('serves the last values within the window, and reads again once it has passed', async () => {
    const first = reading.get();
    reads[0].resolve(1);
    expect(await first).toBe(1);
    now += 1_999;
    for (let i = 0; i < 100; i++) expect(await reading.get()).toBe(1);
    expect(reads).toHaveLength(1);
    now += 1;
    const second = reading.get();
    expect(reads).toHaveLength(2);
    reads[1].resolve(2);
    expect(await second).toBe(2);
  });

  it('a failed read serves the last values, is reported once, and starts a window too', async () => {
    const first = reading.get();
    reads[0].resolve(5);
    await first;
    now += 2_000;
    const failed = Promise.all([reading.get(), reading.get()]);
    reads[1].reject(new Error('database gone'));
    expect(await failed).toEqual([5, 5]);
    expect(failures).toEqual([new Error('database gone')]);
    // No read for every scrape of a flood during an outage.
    now += 1_000;
    expect(await reading.get()).toBe(5);
    expect(reads).toHaveLength(2);
    now += 1_000;
    const recovered = reading.get();
    reads[2].resolve(6);
    expect(await recovered).toBe(6);
  });

  it('before any read has succeeded, a failure serves the initial values', async () => {
    const first = reading.get();
    reads[0].reject(new Error('redis gone'));
    expect(await first).toBe(-1);
    expect(failures).toHaveLength(1);
  });
});
