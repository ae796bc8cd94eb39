import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PeriodicTask } from './periodic-task';

/** A task whose passes end when the test says so. */
function controlled() {
  const ends: Array<(error?: Error) => void> = [];
  const run = jest.fn(
    () => new Promise<void>((resolve, reject) => ends.push((error) => (error ? reject(error) : resolve()))),
  );
  return { run, end: (error?: Error) => ends.shift()?.(error) };
}

describe('PeriodicTask', () => {
  const warn = jest.fn();
  const debug = jest.fn();
  const logger = { warn, debug };
  beforeEach(() => {
    jest.useFakeTimers();
    warn.mockClear();
    debug.mockClear();
  });
  afterEach(() => jest.useRealTimers());

  it('runs every interval, skips a tick during a pass, logs each failure', async () => {
    const { run, end } = controlled();
    const task = new PeriodicTask('Sweep', 100, run, logger);
    task.start();
    expect(run).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(1);
    end(new Error('down'));
    await jest.advanceTimersByTimeAsync(100);
    end(new Error('down'));
    await jest.advanceTimersByTimeAsync(0);
    expect(warn.mock.calls).toEqual([['Sweep failed: down'], ['Sweep failed: down']]);
    expect(task.failedPasses).toBe(2);
    await task.stop();
  });

  it('eager: runs at start, a kick during a pass runs one more after it, logs a failure once', async () => {
    const { run, end } = controlled();
    const task = new PeriodicTask('Outbox relay', 1_000, run, logger, { eager: true, failures: 'deferred' });
    task.start();
    expect(run).toHaveBeenCalledTimes(1);
    task.kick();
    task.kick();
    end(new Error('down'));
    await jest.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(2);
    end(new Error('down'));
    await jest.advanceTimersByTimeAsync(1_000);
    end(new Error('other'));
    await jest.advanceTimersByTimeAsync(0);
    expect(warn.mock.calls).toEqual([['Outbox relay deferred: down'], ['Outbox relay deferred: other']]);
    expect(task.failedPasses).toBe(3);
    await task.stop();
  });

  it('stop waits for the pass in progress and drops a queued one', async () => {
    const { run, end } = controlled();
    const task = new PeriodicTask('Outbox relay', 1_000, run, logger, { eager: true });
    task.start();
    task.kick();
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    end();
    await stopping;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('a pass cut short by shutdown is no failure (debug only), and nothing starts after stop', async () => {
    const { run, end } = controlled();
    const task = new PeriodicTask('Outbox relay', 1_000, run, logger, { eager: true, failures: 'deferred' });
    task.start();
    const stopping = task.stop();
    end(new Error('Connection terminated'));
    await stopping;
    task.kick();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
    expect(debug.mock.calls).toEqual([['Outbox relay pass ended by shutdown: Connection terminated']]);
    expect(task.failedPasses).toBe(0);
  });
});

/** One interval loop and one outbox relay wrapper, for API and worker alike. */
describe('interval loops in the code base', () => {
  const ROOT = join(__dirname, '..', '..', '..');
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
    });
  const files = ['apps', 'libs']
    .flatMap((top) => readdirSync(join(ROOT, top)).map((name) => join(ROOT, top, name, 'src')))
    .filter((dir) => {
      try {
        return readdirSync(dir).length > 0;
      } catch {
        return false;
      }
    })
    .flatMap(sources)
    .map((path) => ({ path: path.slice(ROOT.length + 1), text: readFileSync(path, 'utf8') }));
  const declaring = (pattern: RegExp) =>
    files.filter((file) => pattern.test(file.text)).map((file) => file.path);

  it('have one implementation (PeriodicTask) and one outbox relay', () => {
    expect(declaring(/class \w*(Loop|PeriodicTask)\b/)).toEqual(['libs/batching/src/periodic-task.ts']);
    expect(declaring(/\brelayOutbox\(\w+, \w+\)/)).toEqual(['libs/outbox/src/outbox-relay.ts']);
  });
});
