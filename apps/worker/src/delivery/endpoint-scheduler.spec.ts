import {
  AttemptResult,
  Deferral,
  EndpointScheduler,
  Lease,
  PROBATION_CONCURRENCY,
  SchedulerOptions,
} from './endpoint-scheduler';

const OK: AttemptResult = { durationMs: 20, kind: 'success' };

function scheduler(overrides: Partial<SchedulerOptions> = {}) {
  const clock = { now: 1_000_000 };
  const instance = new EndpointScheduler({
    concurrency: 10,
    endpointConcurrency: 3,
    slowAfterMs: 500,
    timeoutMs: 10_000,
    maxMemoryWaitMs: 1_000,
    now: () => clock.now,
    ...overrides,
  });
  return { scheduler: instance, clock };
}

const isLease = (value: Lease | Deferral): value is Lease => 'startedAt' in value;

async function lease(s: EndpointScheduler, webhookId: string): Promise<Lease> {
  const result = await s.acquire(webhookId);
  if (!isLease(result)) throw new Error(`no lease for ${webhookId}: ${result.reason}`);
  return result;
}

/** An endpoint that has answered once, so its probation is over. */
async function known(s: EndpointScheduler, webhookId: string, result = OK): Promise<void> {
  s.release(await lease(s, webhookId), result);
}

/** Resolves now if the promise already has, else undefined. */
async function settled<T>(promise: Promise<T>): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
}

describe('EndpointScheduler', () => {
  it('gives a new endpoint one slot and one waiter until it has answered, then endpointConcurrency', async () => {
    const { scheduler: s } = scheduler();
    const first = await lease(s, 'a');
    expect(PROBATION_CONCURRENCY).toBe(1);
    const second = s.acquire('a');
    expect(await settled(second)).toBeUndefined();
    // A second waiter for an endpoint on probation is not kept in memory.
    expect(await s.acquire('a')).toMatchObject({ reason: 'endpoint_cap' });
    s.release(first, OK);
    const granted = (await second) as Lease;
    expect(isLease(granted)).toBe(true);
    await lease(s, 'a');
    await lease(s, 'a');
    expect(await settled(s.acquire('a'))).toBeUndefined();
    s.close();
  });

  it('caps in-flight attempts per endpoint, others unaffected', async () => {
    const { scheduler: s } = scheduler();
    await known(s, 'a');
    for (let i = 0; i < 3; i += 1) await lease(s, 'a');
    expect(await settled(s.acquire('a'))).toBeUndefined();
    expect(isLease(await s.acquire('b'))).toBe(true);
    s.close();
  });

  it('defers instead of waiting in memory once the endpoint is slow, spreading the backlog over its pace', async () => {
    const { scheduler: s } = scheduler();
    await known(s, 'slow', { durationMs: 2_000, kind: 'success' });
    for (let i = 0; i < 3; i += 1) await lease(s, 'slow');
    const waits = [];
    for (let i = 0; i < 4; i += 1) {
      const result = await s.acquire('slow');
      expect(isLease(result)).toBe(false);
      waits.push((result as Deferral).waitMs);
    }
    // Pace ≈ 5 s per attempt (half the deadline at least) over 3 slots: one slot every ~1.7 s.
    expect(waits[0]).toBeGreaterThan(1_000);
    expect(waits[3] - waits[2]).toBeCloseTo(waits[1] - waits[0], -1);
    expect(waits[3]).toBeGreaterThan(3 * waits[0]);
    s.close();
  });

  it('lets a healthy endpoint at its cap keep as many waiting as in flight; defers the rest at its pace', async () => {
    const { scheduler: s } = scheduler({ endpointConcurrency: 1, concurrency: 20 });
    await known(s, 'a', { durationMs: 5, kind: 'success' });
    await lease(s, 'a');
    expect(await settled(s.acquire('a'))).toBeUndefined();
    expect(s.waitingInMemory()).toBe(1);
    const waits = [];
    for (let i = 0; i < 500; i += 1) waits.push(((await s.acquire('a')) as Deferral).waitMs);
    // 5 ms a slot: the 500 are spread over 2.5 s, none polled sooner than 100 ms.
    expect(waits[0]).toBe(100);
    expect(waits[499]).toBeGreaterThanOrEqual(2_500);
    expect(waits[499]).toBeLessThan(2_600);
    // Before any answer: one waiter, then 20 ms a slot assumed, not the deadline.
    await lease(s, 'new');
    void s.acquire('new');
    expect(await s.acquire('new')).toEqual({ reason: 'endpoint_cap', waitMs: 100 });
    s.close();
  });

  it('waits for a full fast lane in memory, however many wait', async () => {
    const { scheduler: s } = scheduler({ concurrency: 4, endpointConcurrency: 10 });
    for (const id of ['a', 'b', 'c', 'd']) await known(s, id);
    for (const id of ['a', 'b', 'c', 'd']) await lease(s, id);
    const waiting = Array.from({ length: 30 }, (_, i) => s.acquire(`w-${i}`));
    expect(await settled(Promise.race(waiting))).toBeUndefined();
    expect(s.waitingInMemory()).toBe(30);
    s.close();
  });

  it('never defers beyond 30 s, so a pace measured while an endpoint hung does not outlive its recovery', async () => {
    const { scheduler: s, clock } = scheduler({ endpointConcurrency: 1 });
    await lease(s, 'hung');
    clock.now += 501;
    const waits = [];
    for (let i = 0; i < 200; i += 1) waits.push(((await s.acquire('hung')) as Deferral).waitMs);
    // Half the 10 s deadline a slot, one slot while on probation: 5 s, 10 s, … capped at 30 s.
    expect(waits.slice(0, 3)).toEqual([5_000, 10_000, 15_000]);
    expect(Math.max(...waits)).toBe(30_000);
    s.close();
  });

  it('slow attempts hold at most half the capacity; fast ones still get the rest', async () => {
    const { scheduler: s } = scheduler({ endpointConcurrency: 10 });
    for (const id of ['h1', 'h2']) await known(s, id, { durationMs: 5_000, kind: 'success' });
    const slow = [];
    for (const id of ['h1', 'h1', 'h1', 'h2', 'h2']) slow.push(await lease(s, id));
    expect(slow.every((l) => l.lane === 'slow')).toBe(true);
    const refused = await s.acquire('h2');
    expect(refused).toMatchObject({ reason: 'lane_full' });
    await known(s, 'fast');
    const fast = [];
    for (let i = 0; i < 5; i += 1) fast.push(await lease(s, `new-${i}`));
    expect(fast.every((l) => l.lane === 'fast')).toBe(true);
    expect(s.inFlight()).toEqual({ fast: 5, slow: 5 });
    s.close();
  });

  it('a fast attempt hanging past slowAfterMs counts as slow and frees fast capacity', async () => {
    const { scheduler: s, clock } = scheduler();
    const hanging = [];
    for (let i = 0; i < 10; i += 1) hanging.push(await lease(s, `hang-${i}`));
    expect(s.inFlight()).toEqual({ fast: 10, slow: 0 });
    const healthy = s.acquire('healthy');
    expect(await settled(healthy)).toBeUndefined();
    clock.now += 501;
    expect(s.inFlight()).toEqual({ fast: 0, slow: 10 });
    // Waiting requests are looked at again as slots free by ageing.
    s.release(await lease(s, 'other'), OK);
    const granted = await healthy;
    expect(isLease(granted) && granted.lane).toBe('fast');
    // A hanging endpoint is slow now: its next request goes to the slow lane, which is over its share,
    // and is deferred at once (a slow endpoint never waits in memory, as `healthy` did).
    expect(await settled(s.acquire('hang-0'))).toMatchObject({ reason: expect.any(String) });
    s.close();
  });

  it('hanging attempts that began fast never take the total beyond the concurrency plus the slow share', async () => {
    const { scheduler: s, clock } = scheduler();
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < 10; i += 1) {
        const result = await settled(s.acquire(`new-${round}-${i}`));
        if (result === undefined || !isLease(result)) break;
      }
      clock.now += 501;
    }
    const { fast, slow } = s.inFlight();
    expect(fast + slow).toBe(15);
    expect(await settled(s.acquire('one-more'))).toBeUndefined();
    expect(s.inFlight()).toEqual({ fast, slow });
    s.close();
  });

  it("takes no slot for a paused endpoint's deliveries (they are parked), and counts again once it resumes", async () => {
    const { scheduler: s } = scheduler({ endpointConcurrency: 3 });
    for (const id of ['x', 'y', 'z']) await lease(s, id);
    s.setPaused('p', true);
    const leases = await Promise.all([1, 2, 3].map(() => lease(s, 'p')));
    expect(leases.map((l) => l.counted)).toEqual([false, false, false]);
    expect(s.inFlight()).toEqual({ fast: 3, slow: 0 });
    for (const l of leases) s.release(l);
    expect(s.inFlight()).toEqual({ fast: 3, slow: 0 });
    s.setPaused('p', false);
    expect((await lease(s, 'p')).counted).toBe(true);
    expect(await settled(s.acquire('p'))).toBeUndefined();
    s.close();
  });

  it('an endpoint that failed goes to the slow lane until it succeeds again', async () => {
    const { scheduler: s } = scheduler();
    await known(s, 'a', { durationMs: 10, kind: 'failed' });
    const failing = await lease(s, 'a');
    expect(failing.lane).toBe('slow');
    s.release(failing, OK);
    expect((await lease(s, 'a')).lane).toBe('fast');
    s.close();
  });

  it('a request waiting in memory longer than maxMemoryWaitMs is deferred instead', async () => {
    const { scheduler: s, clock } = scheduler({ endpointConcurrency: 1 });
    await known(s, 'a');
    await lease(s, 'a');
    const waiting = s.acquire('a');
    expect(s.waitingInMemory()).toBe(1);
    clock.now += 1_000;
    s.release(await lease(s, 'b'), OK);
    expect(await waiting).toMatchObject({ reason: 'endpoint_cap' });
    expect(s.waitingInMemory()).toBe(0);
    s.close();
  });

  it('reports an endpoint turning slow and healthy again, with hysteresis', async () => {
    const { scheduler: s } = scheduler();
    const result = (durationMs: number, kind: 'success' | 'unreachable' = 'success') => ({
      durationMs,
      kind,
    });
    expect(s.release(await lease(s, 'a'), result(10))).toBe('healthy');
    expect(s.release(await lease(s, 'a'), result(10))).toBeUndefined();
    expect(s.release(await lease(s, 'a'), result(10_000, 'unreachable'))).toBe('slow');
    // The average comes down slowly: still above half the threshold after one quick answer.
    expect(s.release(await lease(s, 'a'), result(10))).toBeUndefined();
    let change;
    for (let i = 0; i < 20 && change === undefined; i += 1)
      change = s.release(await lease(s, 'a'), result(10));
    expect(change).toBe('healthy');
    s.close();
  });

  it('counts unreachable attempts in a row as they end, so attempts ending together each see the others', () => {
    const { scheduler: s } = scheduler();
    expect([true, true, true].map(() => s.countUnreachable('a', true))).toEqual([0, 1, 2]);
    expect(s.countUnreachable('a', false)).toBe(3);
    expect(s.countUnreachable('a', true)).toBe(0);
    s.close();
  });

  it('parks a paused endpoint’s deliveries up to its cap at once, and retries the rest soon', async () => {
    const { scheduler: s } = scheduler({ endpointConcurrency: 2 });
    s.setPaused('p', true);
    await lease(s, 'p');
    await lease(s, 'p');
    expect(await s.acquire('p')).toEqual({ reason: 'endpoint_cap', waitMs: 100 });
    s.close();
  });

  it('close() hands every waiter a deferral', async () => {
    const { scheduler: s } = scheduler({ endpointConcurrency: 1 });
    await known(s, 'a');
    await lease(s, 'a');
    const waiting = s.acquire('a');
    s.close();
    expect(await waiting).toMatchObject({ reason: 'lane_full' });
  });
});
