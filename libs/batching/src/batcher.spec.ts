import { Batcher } from './batcher';

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Batcher', () => {
  afterEach(() => jest.useRealTimers());

  it('hands concurrent items to one run, in order, and gives each caller its own result', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, string>({
      maxSize: 10,
      maxDelayMs: 5,
      run: async (items) => {
        batches.push([...items]);
        return items.map((n) => `r${n}`);
      },
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.add(n)));
    expect(results).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    await batcher.close();
  });

  it('flushes at maxSize without waiting for the delay', async () => {
    jest.useFakeTimers();
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxSize: 3,
      maxDelayMs: 60_000,
      maxInFlight: 4,
      run: async (items) => {
        batches.push([...items]);
        return items;
      },
    });
    const results = Promise.all([1, 2, 3, 4, 5, 6].map((n) => batcher.add(n)));
    await expect(results).resolves.toEqual([1, 2, 3, 4, 5, 6]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(jest.getTimerCount()).toBe(0);
    await batcher.close();
  });

  it('flushes a partial batch after maxDelayMs', async () => {
    jest.useFakeTimers();
    const run = jest.fn(async (items: readonly number[]) => items);
    const batcher = new Batcher<number, number>({ maxSize: 100, maxDelayMs: 20, run });
    const result = batcher.add(7);
    await jest.advanceTimersByTimeAsync(19);
    expect(run).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe(7);
    expect(run).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('settles a caller only after its batch finished', async () => {
    const gate = deferred();
    let finished = false;
    const batcher = new Batcher<number, number>({
      maxSize: 1,
      maxDelayMs: 1,
      run: async (items) => {
        await gate.promise;
        finished = true;
        return items;
      },
    });
    const result = batcher.add(1).then((value) => ({ value, finished }));
    await new Promise((resolve) => setImmediate(resolve));
    gate.resolve();
    await expect(result).resolves.toEqual({ value: 1, finished: true });
  });

  it('coalesces items that arrive while the only slot is busy into the next batch', async () => {
    const gate = deferred();
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxSize: 100,
      maxDelayMs: 1,
      run: async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await gate.promise;
        return items;
      },
    });
    const first = batcher.add(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const later = [2, 3, 4].map((n) => batcher.add(n));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([[1]]);
    gate.resolve();
    await expect(Promise.all([first, ...later])).resolves.toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    await batcher.close();
  });

  it('falls back to one item at a time when a batch fails, so one bad item fails alone', async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxSize: 10,
      maxDelayMs: 1,
      run: async (items) => {
        calls.push([...items]);
        if (items.includes(13)) throw new Error('bad row 13');
        return items.map((n) => n * 2);
      },
    });
    const results = await Promise.allSettled([11, 12, 13, 14].map((n) => batcher.add(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      22,
      24,
      'bad row 13',
      28,
    ]);
    expect(calls[0]).toEqual([11, 12, 13, 14]);
    expect(calls.slice(1).sort((a, b) => a[0] - b[0])).toEqual([[11], [12], [13], [14]]);
    await batcher.close();
  });

  it('uses runOne for the fallback when given', async () => {
    const runOne = jest.fn(async (n: number) => -n);
    const batcher = new Batcher<number, number>({
      maxSize: 10,
      maxDelayMs: 1,
      run: async () => Promise.reject(new Error('batch down')),
      runOne,
    });
    await expect(Promise.all([1, 2].map((n) => batcher.add(n)))).resolves.toEqual([-1, -2]);
    expect(runOne).toHaveBeenCalledTimes(2);
  });

  it('treats a wrong number of results as a failed batch', async () => {
    const batcher = new Batcher<number, number>({
      maxSize: 10,
      maxDelayMs: 1,
      run: async (items) => (items.length > 1 ? [1] : items),
    });
    await expect(Promise.all([5, 6].map((n) => batcher.add(n)))).resolves.toEqual([5, 6]);
  });

  it('close() flushes what is pending, waits for running batches, and leaves no timer', async () => {
    jest.useFakeTimers();
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxSize: 100,
      maxDelayMs: 60_000,
      run: async (items) => {
        batches.push([...items]);
        return items;
      },
    });
    const results = Promise.all([1, 2].map((n) => batcher.add(n)));
    expect(jest.getTimerCount()).toBe(1);
    await batcher.close();
    await expect(results).resolves.toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
    expect(jest.getTimerCount()).toBe(0);
    // After close an item runs at once, with no timer.
    await expect(batcher.add(3)).resolves.toBe(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never runs more than maxInFlight batches at once', async () => {
    let running = 0;
    let peak = 0;
    const batcher = new Batcher<number, number>({
      maxSize: 2,
      maxDelayMs: 1,
      maxInFlight: 2,
      run: async (items) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return items;
      },
    });
    const all = Array.from({ length: 20 }, (_, n) => batcher.add(n));
    await expect(Promise.all(all)).resolves.toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(peak).toBe(2);
    await batcher.close();
  });
});
