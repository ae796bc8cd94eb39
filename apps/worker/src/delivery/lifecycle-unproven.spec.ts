import {
  afterAttempt,
  AttemptContext,
  AttemptOutcome,
  EndpointState,
  LifecycleRules,
  retryScheduleFor,
  UNPROVEN_MAX_ATTEMPTS,
} from './lifecycle';

// As in lifecycle.spec.ts; here for endpoints that have never answered 2xx at their current URL.
const NOW = new Date('2026-01-01T12:00:00Z');
const DAY = 86_400_000;
// Eight attempts for an endpoint that has succeeded before, as with the default schedule.
const LONG: LifecycleRules = {
  retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
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

  it('ends each delivery after 3 attempts: immediate, then the first two delays of the schedule', () => {
    expect(UNPROVEN_MAX_ATTEMPTS).toBe(3);
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: UNPROVEN }), LONG).nextAttemptAt).toEqual(
      at(5_000),
    );
    expect(
      afterAttempt(TIMEOUT, context({ endpoint: UNPROVEN, attemptsBefore: 1 }), LONG).nextAttemptAt,
    ).toEqual(at(300_000));
    expect(
      afterAttempt(SERVER_ERROR, context({ endpoint: UNPROVEN, attemptsBefore: 2 }), LONG),
    ).toMatchObject({
      status: 'failed',
      nextAttemptAt: undefined,
      outcome: 'failed_final',
      disable: null,
    });
    expect(failures(UNPROVEN)).toEqual(['pending', 'pending', 'failed']);
  });

  it('one success lifts it: the whole schedule applies', () => {
    expect(failures(PROVEN)).toHaveLength(8);
    expect(afterAttempt(OK, context({ endpoint: UNPROVEN, attemptsBefore: 2 }), LONG).status).toBe(
      'succeeded',
    );
  });

  it('a URL change makes it unproven again: a delivery past its third attempt ends with the next one', () => {
    expect(failures(PROVEN, 4)).toEqual(['pending', 'pending', 'pending', 'failed']);
    expect(failures(UNPROVEN, 4)).toEqual(['failed']);
  });

  it('Retry-After is honoured within those 3 attempts, never beyond them', () => {
    const busy = { statusCode: 429, error: null, retryAfterMs: 8_000 };
    expect(afterAttempt(busy, context({ endpoint: UNPROVEN }), LONG).nextAttemptAt).toEqual(at(8_000));
    expect(afterAttempt(busy, context({ endpoint: UNPROVEN, attemptsBefore: 2 }), LONG).status).toBe(
      'failed',
    );
  });

  it('a schedule shorter than that is kept as it is', () => {
    expect(retryScheduleFor(UNPROVEN, [5_000])).toEqual([5_000]);
    expect(retryScheduleFor(UNPROVEN, [])).toEqual([]);
    expect(retryScheduleFor(UNPROVEN, LONG.retryScheduleMs)).toEqual([5_000, 300_000]);
    expect(retryScheduleFor(PROVEN, LONG.retryScheduleMs)).toBe(LONG.retryScheduleMs);
  });

  it('a failed probe of a paused endpoint ends its delivery after 3 attempts too, and reopens the circuit', () => {
    const paused = { ...UNPROVEN, paused: true, pauseCount: 1, probeDeliveryId: 'd1', failingSince: NOW };
    const decision = afterAttempt(
      TIMEOUT,
      context({ endpoint: paused, probe: true, attemptsBefore: 2 }),
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
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: old, attemptsBefore: 2 }), LONG).disable).toBe(
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
