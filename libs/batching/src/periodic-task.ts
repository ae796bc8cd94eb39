export interface PeriodicTaskOptions {
  /**
   * Also run a pass at start, and a tick or kick during a pass runs one more right after it (the
   * outbox relay: what was committed during a pass goes out without waiting for the next tick).
   * Without, a tick during a pass is skipped.
   */
  eager?: boolean;
  /**
   * How a failed pass is logged (warn): `failed` (default) each time; `deferred` once per distinct
   * failure, for a task whose work simply waits for the next pass (an outage must not log every tick).
   */
  failures?: 'failed' | 'deferred';
}

/**
 * Runs a task every `intervalMs` (and when kicked), never two passes at once, and lets shutdown
 * wait for the pass in progress. A failed pass is logged and the task runs again at the next tick.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private lastFailure = '';
  private failures = 0;
  private stopped = false;

  /** `name` names the task in its log lines. */
  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly logger: { warn(message: string): void; debug(message: string): void },
    private readonly options: PeriodicTaskOptions = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    if (this.options.eager) this.kick();
  }

  /** Starts a pass, or queues one more if a pass is running. Never throws. */
  kick(): void {
    // Work that arrives during shutdown is left to the next pass (another instance, or the next start).
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Passes that failed so far. */
  get failedPasses(): number {
    return this.failures;
  }

  /** No pass starts after this; resolves once the pass in flight has ended. Call it before what the task uses closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.again = false;
    await this.running;
  }

  private tick(): void {
    if (this.options.eager || !this.running) this.kick();
  }

  private async pass(): Promise<void> {
    const failures = this.options.failures ?? 'failed';
    try {
      await this.task();
      this.lastFailure = '';
    } catch (error) {
      const message = (error as Error).message;
      // A pass cut short by the process stopping is not a failure: its work waits for the next run.
      if (this.stopped) {
        this.logger.debug(`${this.name} pass ended by shutdown: ${message}`);
        return;
      }
      this.failures += 1;
      if (failures === 'failed' || message !== this.lastFailure)
        this.logger.warn(`${this.name} ${failures}: ${message}`);
      this.lastFailure = message;
    }
  }
}
