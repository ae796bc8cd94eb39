import type { OutcomeKind } from './lifecycle';

/*
 * Fair delivery inside one worker process (README → Fair delivery). Every attempt needs a lease:
 * - at most `endpointConcurrency` in flight per webhook (one while the webhook has not answered
 *   this worker yet, so a crowd of new endpoints that hang cannot fill the worker); none while its
 *   circuit is open: its deliveries are parked, which needs no slot;
 * - two lanes: `fast` for endpoints that answer quickly and last succeeded, `slow` for the rest.
 *   An attempt in flight longer than `slowAfterMs` counts as slow, whatever lane it began in. Slow
 *   attempts hold at most `slowShare` of the `concurrency`; fast ones may use all of it, minus what
 *   slow ones hold within their share, so healthy and new endpoints always have capacity. Hanging
 *   attempts that began fast can take the total above `concurrency`, at most to 1.5 times it.
 * A request that cannot have a lease now either waits here a short while (a healthy endpoint at its
 * cap, or a full fast lane: a slot frees within milliseconds; the consumers of the queue bound how
 * many wait, so when all are busy nothing more is taken) or is told how long to wait elsewhere (a
 * delayed job): slow and failing endpoints, and a healthy one's backlog beyond what may wait here,
 * get their next expected slot from the endpoint's pace, so a backlog is taken up about once per
 * slot rather than polled.
 */

export type Lane = 'fast' | 'slow';
export type WaitReason = 'endpoint_cap' | 'lane_full';

export interface Lease {
  readonly webhookId: string;
  readonly lane: Lane;
  readonly startedAt: number;
  /** False for a paused endpoint's delivery: it is parked, or is the probe, and takes no slot. */
  readonly counted: boolean;
}

export interface AttemptResult {
  durationMs: number;
  kind: OutcomeKind;
}

/** Not now: wait `waitMs` without holding anything, then ask again. */
export interface Deferral {
  readonly reason: WaitReason;
  readonly waitMs: number;
}

export interface SchedulerOptions {
  concurrency: number;
  endpointConcurrency: number;
  /** An attempt in flight longer than this is slow; an endpoint averaging more is slow. */
  slowAfterMs: number;
  /** The attempt deadline: the pace assumed for an endpoint whose attempts have not ended yet. */
  timeoutMs: number;
  /** How long a request may wait in memory before it is deferred instead. */
  maxMemoryWaitMs: number;
  now?: () => number;
}

/** In-flight attempts to a webhook that has not answered this worker yet. */
export const PROBATION_CONCURRENCY = 1;
/** Endpoints remembered per worker; the least recently used idle one is forgotten first. */
const MAX_ENDPOINTS = 10_000;
/** Shortest deferral: a delayed job costs a few Redis commands, so never poll faster than this. */
const MIN_DEFERRAL_MS = 100;
/**
 * Longest deferral: a pace measured while an endpoint hung must not outlive its recovery (a backlog
 * spread over minutes at one a second would then trickle out long after it answers again). A
 * deferred job is looked at again at least this often; one whose endpoint is paused by then is
 * parked in PostgreSQL, where waiting costs nothing.
 */
const MAX_DEFERRAL_MS = 30_000;
const EWMA_WEIGHT = 0.3;
/** The answer time assumed for an endpoint that has not answered yet (it is not slow so far). */
const FAST_GUESS_MS = 20;

class Endpoint {
  inFlight = new Set<Lease>();
  waiting = 0;
  known = false;
  failing = false;
  avgMs: number | undefined;
  unreachableStreak = 0;
  /** Its circuit is open, as this worker last saw: its deliveries are parked, needing no slot. */
  paused = false;
  /** What was last persisted for the API (webhooks.slow_since); unknown until the first attempt. */
  reportedSlow: boolean | undefined;
  /** Virtual clock of deferred requests: each one is handed the next expected free slot. */
  nextSlotAt = 0;
}

interface Waiter {
  webhookId: string;
  since: number;
  resolve(result: Lease | Deferral): void;
}

export class EndpointScheduler {
  private readonly endpoints = new Map<string, Endpoint>();
  /** Fast-lane leases in start order, so the aged ones are found from the front. */
  private readonly fastLeases = new Set<Lease>();
  private slowLeases = 0;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  readonly slowShare: number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.slowShare = Math.max(1, Math.floor(options.concurrency / 2));
  }

  /** A lease now, after a short wait in memory, or a deferral. */
  acquire(webhookId: string): Promise<Lease | Deferral> {
    const result = this.tryLease(webhookId);
    if (typeof result !== 'string') return Promise.resolve(result);
    if (!this.mayWaitInMemory(webhookId, result)) return Promise.resolve(this.defer(webhookId, result));
    this.endpoint(webhookId).waiting += 1;
    return new Promise((resolve) => {
      this.waiters.push({ webhookId, since: this.now(), resolve });
      this.armTimer();
    });
  }

  /** A lease only if one is free right now (no waiting, no deferral): for first attempts in-process. */
  tryAcquireNow(webhookId: string): Lease | undefined {
    const result = this.tryLease(webhookId);
    return typeof result === 'string' ? undefined : result;
  }

  /**
   * The lease is given back; after an attempt (`result`) the endpoint's pace and health are updated.
   * Returns the endpoint's new speed when it changed: slow above `slowAfterMs` on average (or
   * unreachable), healthy again below half of it.
   */
  release(lease: Lease, result?: AttemptResult): 'slow' | 'healthy' | undefined {
    const endpoint = this.endpoints.get(lease.webhookId);
    if (lease.counted) {
      if (lease.lane === 'fast') this.fastLeases.delete(lease);
      else this.slowLeases -= 1;
    }
    let change: 'slow' | 'healthy' | undefined;
    if (endpoint) {
      endpoint.inFlight.delete(lease);
      if (result) change = this.learn(endpoint, result);
    }
    this.pump();
    return change;
  }

  /**
   * What this worker knows of the endpoint's circuit (from a claim, or a circuit it changed): while
   * it is open, its deliveries get a lease that takes no slot, since they are only parked (or one of
   * them probes), so a parked backlog never queues for the endpoint's cap.
   */
  setPaused(webhookId: string, paused: boolean): void {
    const endpoint = paused ? this.endpoint(webhookId) : this.endpoints.get(webhookId);
    if (endpoint) endpoint.paused = paused;
  }

  /**
   * Counts an attempt's outcome into the endpoint's run of unreachable attempts as soon as it is
   * known, so attempts that end together each see the others; returns the run before this one.
   */
  countUnreachable(webhookId: string, unreachable: boolean): number {
    const endpoint = this.endpoint(webhookId);
    const before = endpoint.unreachableStreak;
    endpoint.unreachableStreak = unreachable ? before + 1 : 0;
    return before;
  }

  private learn(endpoint: Endpoint, result: AttemptResult): 'slow' | 'healthy' | undefined {
    if (result.kind !== 'unreachable') endpoint.known = true;
    endpoint.failing = result.kind !== 'success';
    endpoint.avgMs =
      endpoint.avgMs === undefined
        ? result.durationMs
        : endpoint.avgMs + EWMA_WEIGHT * (result.durationMs - endpoint.avgMs);
    const { slowAfterMs } = this.options;
    const slow = endpoint.reportedSlow
      ? result.kind === 'unreachable' || endpoint.avgMs > slowAfterMs / 2
      : result.kind === 'unreachable' || endpoint.avgMs > slowAfterMs;
    if (slow === endpoint.reportedSlow) return undefined;
    endpoint.reportedSlow = slow;
    return slow ? 'slow' : 'healthy';
  }

  inFlight(): Record<Lane, number> {
    const aged = this.agedFastLeases();
    return { fast: this.fastLeases.size - aged, slow: this.slowLeases + aged };
  }

  waitingInMemory(): number {
    return this.waiters.length;
  }

  /** Wakes every waiter with a deferral (shutdown). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) {
      waiter.resolve({ reason: 'lane_full', waitMs: MIN_DEFERRAL_MS });
    }
  }

  private tryLease(webhookId: string): Lease | WaitReason {
    const endpoint = this.endpoint(webhookId);
    if (endpoint.paused) {
      // Parking takes milliseconds and no socket; the cap still bounds what a stale view of the
      // circuit (closed meanwhile by another worker) could let through before a claim corrects it.
      if (endpoint.inFlight.size >= this.options.endpointConcurrency) return 'endpoint_cap';
      const lease: Lease = { webhookId, lane: 'slow', startedAt: this.now(), counted: false };
      endpoint.inFlight.add(lease);
      return lease;
    }
    if (endpoint.inFlight.size >= this.limit(endpoint)) return 'endpoint_cap';
    const lane: Lane = endpoint.failing || this.slowEndpoint(endpoint) ? 'slow' : 'fast';
    if (!this.laneHasRoom(lane)) return 'lane_full';
    const lease: Lease = { webhookId, lane, startedAt: this.now(), counted: true };
    if (endpoint.inFlight.size === 0) endpoint.nextSlotAt = 0;
    endpoint.inFlight.add(lease);
    if (lane === 'fast') this.fastLeases.add(lease);
    else this.slowLeases += 1;
    return lease;
  }

  /**
   * Only where a slot is expected within milliseconds: an endpoint neither slow nor failing. A full
   * fast lane is waited for whatever the number (the consumers bound it); an endpoint's own cap by as
   * many as it may have in flight (one while on probation), so one tenant's burst cannot hold the
   * consumers that would take other tenants' jobs.
   */
  private mayWaitInMemory(webhookId: string, reason: WaitReason): boolean {
    const endpoint = this.endpoint(webhookId);
    if (!this.mayWait(endpoint)) return false;
    if (reason === 'lane_full') return true;
    const limit = endpoint.known ? this.options.endpointConcurrency : PROBATION_CONCURRENCY;
    return endpoint.waiting < limit;
  }

  private mayWait(endpoint: Endpoint): boolean {
    return !endpoint.paused && !endpoint.failing && !this.slowEndpoint(endpoint);
  }

  /**
   * Hands freed slots to waiters in arrival order. After a release it looks only while some lane
   * has room (usually one grant fills it again), so a long line costs little per attempt; the timer
   * (`sweep`) also defers the waiters that waited too long, or whose endpoint turned out slow or
   * failing meanwhile.
   */
  private pump(sweep = false): void {
    const now = this.now();
    for (let index = 0; index < this.waiters.length;) {
      if (!sweep && !this.hasRoom()) break;
      const waiter = this.waiters[index];
      const result = this.tryLease(waiter.webhookId);
      const expired =
        sweep &&
        (now - waiter.since >= this.options.maxMemoryWaitMs ||
          !this.mayWait(this.endpoint(waiter.webhookId)));
      if (typeof result !== 'string' || expired) {
        this.waiters.splice(index, 1);
        this.endpoint(waiter.webhookId).waiting -= 1;
        waiter.resolve(typeof result === 'string' ? this.defer(waiter.webhookId, result) : result);
      } else {
        index += 1;
      }
    }
    if (this.waiters.length === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Whether either lane could take one more attempt now (endpoint caps aside). */
  private hasRoom(): boolean {
    return this.laneHasRoom('fast') || this.laneHasRoom('slow');
  }

  /**
   * Attempts that began fast and hang beyond the slow share do not shrink the fast lane, but all
   * together stay within the concurrency plus the slow share (the worker keeps consumers to take
   * and place other jobs).
   */
  private laneHasRoom(lane: Lane): boolean {
    const { fast, slow } = this.inFlight();
    const { concurrency } = this.options;
    return lane === 'fast'
      ? fast + Math.min(slow, this.slowShare) < concurrency && fast + slow < concurrency + this.slowShare
      : slow < this.slowShare && fast + slow < concurrency;
  }

  /** Slots also free by ageing (a hanging fast attempt turns slow) and waits expire: look again. */
  private armTimer(): void {
    if (this.timer) return;
    const period = Math.max(10, Math.min(100, this.options.maxMemoryWaitMs / 4));
    this.timer = setInterval(() => this.pump(true), period);
    this.timer.unref();
  }

  /**
   * The endpoint's next expected free slot, one `pace / endpointConcurrency` after the previous
   * deferral's: a backlog of N is spread over N slots instead of all waking at once. The pace of a
   * slow endpoint is at least half the deadline; a fast one's is its average (a guess of
   * FAST_GUESS_MS before its first answer). The clock starts afresh whenever the endpoint has
   * nothing in flight, and no wait exceeds MAX_DEFERRAL_MS, so an estimate from a slow spell does
   * not outlive it.
   */
  private defer(webhookId: string, reason: WaitReason): Deferral {
    const endpoint = this.endpoint(webhookId);
    const now = this.now();
    // A paused endpoint's deliveries are only parked: a few milliseconds each.
    if (endpoint.paused) return { reason, waitMs: MIN_DEFERRAL_MS };
    const pace = this.slowEndpoint(endpoint)
      ? Math.max(endpoint.avgMs ?? 0, this.options.timeoutMs / 2)
      : (endpoint.avgMs ?? FAST_GUESS_MS);
    const next = Math.max(now, endpoint.nextSlotAt) + pace / this.limit(endpoint);
    endpoint.nextSlotAt = Math.min(next, now + MAX_DEFERRAL_MS);
    return { reason, waitMs: Math.max(MIN_DEFERRAL_MS, Math.ceil(endpoint.nextSlotAt - now)) };
  }

  /** In-flight attempts the endpoint may have: one until it has answered this worker once. */
  private limit(endpoint: Endpoint): number {
    return endpoint.known
      ? this.options.endpointConcurrency
      : Math.min(this.options.endpointConcurrency, PROBATION_CONCURRENCY);
  }

  private slowEndpoint(endpoint: Endpoint): boolean {
    if (endpoint.avgMs !== undefined && endpoint.avgMs > this.options.slowAfterMs) return true;
    const now = this.now();
    for (const lease of endpoint.inFlight) {
      if (now - lease.startedAt > this.options.slowAfterMs) return true;
    }
    return false;
  }

  private agedFastLeases(): number {
    const cutoff = this.now() - this.options.slowAfterMs;
    let aged = 0;
    for (const lease of this.fastLeases) {
      if (lease.startedAt >= cutoff) break;
      aged += 1;
    }
    return aged;
  }

  private endpoint(webhookId: string): Endpoint {
    let endpoint = this.endpoints.get(webhookId);
    if (endpoint) {
      // Most recently used last, so the first idle entry is the least recently used.
      this.endpoints.delete(webhookId);
    } else {
      endpoint = new Endpoint();
      if (this.endpoints.size >= MAX_ENDPOINTS) this.evictOne();
    }
    this.endpoints.set(webhookId, endpoint);
    return endpoint;
  }

  private evictOne(): void {
    for (const [id, endpoint] of this.endpoints) {
      if (endpoint.inFlight.size === 0 && endpoint.waiting === 0) {
        this.endpoints.delete(id);
        return;
      }
    }
  }
}
