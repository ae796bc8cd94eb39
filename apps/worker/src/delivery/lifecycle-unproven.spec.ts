import {
  afterAttempt,
  AttemptContext,
  AttemptOutcome,
  EndpointState,
  LifecycleRules,
  retryScheduleFor,
} from './lifecycle';

// As in lifecycle.spec.ts; here for endpoints that have never answered 2xx at their current URL.
const NOW = new Date('2026-01-01T12:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
// The defaults: eight attempts for an endpoint that has succeeded before, the first hour's for others.
const LONG: LifecycleRules = {
  retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
  unprovenRetryWindowMs: HOUR,
  disableAfterMs: 5 * DAY,
  circuitThreshold: 3,
  circuitCooldownMs: 30_000,
};
const PROVEN: EndpointState = {
  active: true,
  failingSince: null,
  hasSucceeded: true,
  paused: false,
  pauseCount: 0,
  probeDeliveryId: null,
  rateLimit: null,
};
const UNPROVEN: EndpointState = { ...PROVEN, hasSucceeded: false };
const OK: AttemptOutcome = { statusCode: 200, error: null };
const SERVER_ERROR: AttemptOutcome = { statusCode: 500, error: null };
const TIMEOUT: AttemptOutcome = { statusCode: null, error: 'timeout after 15000 ms' };

function context(overrides: Partial<AttemptContext> = {}): AttemptContext {
  return {
    attemptsBefore: 0,
    manual: false,
    probe: false,
    endpoint: UNPROVEN,
    unreachableStreak: 0,
    now: NOW,
    ...overrides,
  };
}

const at = (ms: number) => new Date(NOW.getTime() + ms);

describe('afterAttempt: an endpoint that has never succeeded', () => {
  const failures = (endpoint: EndpointState, from = 0) => {
    const statuses: Array<string | undefined> = [];
    for (let before = from; before < 10; before += 1) {
      const decision = afterAttempt(SERVER_ERROR, context({ endpoint, attemptsBefore: before }), LONG);
      statuses.push(decision.status);
      if (decision.status !== 'pending') break;
    }
    return statuses;
  };

  it('ends each delivery after the retries of its first hour: immediate, 5 s, 5 min, 30 min', () => {
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: UNPROVEN }), LONG).nextAttemptAt).toEqual(
      at(5_000),
    );
    expect(
      afterAttempt(TIMEOUT, context({ endpoint: UNPROVEN, attemptsBefore: 1 }), LONG).nextAttemptAt,
    ).toEqual(at(300_000));
    expect(
      afterAttempt(SERVER_ERROR, context({ endpoint: UNPROVEN, attemptsBefore: 2 }), LONG).nextAttemptAt,
    ).toEqual(at(1_800_000));
    expect(
      afterAttempt(SERVER_ERROR, context({ endpoint: UNPROVEN, attemptsBefore: 3 }), LONG),
    ).toMatchObject({
      status: 'failed',
      nextAttemptAt: undefined,
      outcome: 'failed_final',
      disable: null,
    });
    expect(failures(UNPROVEN)).toEqual(['pending', 'pending', 'pending', 'failed']);
  });

  it('one success lifts it: the whole schedule applies', () => {
    expect(failures(PROVEN)).toHaveLength(8);
    expect(afterAttempt(OK, context({ endpoint: UNPROVEN, attemptsBefore: 3 }), LONG).status).toBe(
      'succeeded',
    );
  });

  it('a URL change makes it unproven again: a delivery past its window ends with the next attempt', () => {
    expect(failures(PROVEN, 4)).toEqual(['pending', 'pending', 'pending', 'failed']);
    expect(failures(UNPROVEN, 4)).toEqual(['failed']);
  });

  it('Retry-After is honoured within the window, never beyond it', () => {
    const busy = { statusCode: 429, error: null, retryAfterMs: 8_000 };
    expect(afterAttempt(busy, context({ endpoint: UNPROVEN }), LONG).nextAttemptAt).toEqual(at(8_000));
    expect(afterAttempt(busy, context({ endpoint: UNPROVEN, attemptsBefore: 3 }), LONG).status).toBe(
      'failed',
    );
  });

  it('keeps the delays that add up to no more than the window', () => {
    expect(retryScheduleFor(UNPROVEN, [5_000], HOUR)).toEqual([5_000]);
    expect(retryScheduleFor(UNPROVEN, [], HOUR)).toEqual([]);
    expect(retryScheduleFor(UNPROVEN, LONG.retryScheduleMs, HOUR)).toEqual([5_000, 300_000, 1_800_000]);
    expect(retryScheduleFor(UNPROVEN, [100, 200, 300], 300)).toEqual([100, 200]);
    expect(retryScheduleFor(UNPROVEN, [100, 200, 300], 299)).toEqual([100]);
    expect(retryScheduleFor(UNPROVEN, [100, 200], 0)).toEqual([]);
    // Test-sized schedules are whole within the default hour.
    expect(retryScheduleFor(UNPROVEN, [100, 100, 100, 100], HOUR)).toEqual([100, 100, 100, 100]);
    expect(retryScheduleFor(PROVEN, LONG.retryScheduleMs, 0)).toBe(LONG.retryScheduleMs);
  });

  it('a failed probe of a paused endpoint ends its delivery at the window too, and reopens the circuit', () => {
    const paused = { ...UNPROVEN, paused: true, pauseCount: 1, probeDeliveryId: 'd1', failingSince: NOW };
    const decision = afterAttempt(
      TIMEOUT,
      context({ endpoint: paused, probe: true, attemptsBefore: 3 }),
      LONG,
    );
    expect(decision).toMatchObject({ status: 'failed', outcome: 'failed_final' });
    expect(decision.circuit).toMatchObject({ action: 'open', pauseCount: 2 });
  });

  it('is still disabled as failing once its streak is older than disableAfterMs', () => {
    const old = { ...UNPROVEN, failingSince: at(-5 * DAY) };
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: old }), LONG)).toMatchObject({
      disable: 'failing',
      outcome: 'failed_final',
    });
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: old, attemptsBefore: 3 }), LONG).disable).toBe(
      'failing',
    );
  });

  it("a user's redelivery is one extra attempt, as for any endpoint", () => {
    const decision = afterAttempt(
      SERVER_ERROR,
      context({ endpoint: UNPROVEN, manual: true, attemptsBefore: 5 }),
      LONG,
    );
    expect(decision.status).toBeUndefined();
  });
});
