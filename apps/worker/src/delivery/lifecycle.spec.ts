import { BLOCKED_INSECURE_URL, BLOCKED_PRIVATE_ADDRESS } from '@app/netguard';
import {
  afterAttempt,
  AttemptContext,
  AttemptOutcome,
  beforeAttempt,
  causedByOwner,
  cooldownMs,
  EndpointState,
  LifecycleRules,
  nextRetryDelayMs,
  outcomeKind,
} from './lifecycle';

const SCHEDULE = [5_000, 300_000, 1_800_000];
const NOW = new Date('2026-01-01T12:00:00Z');
const DAY = 86_400_000;
const RULES: LifecycleRules = {
  retryScheduleMs: SCHEDULE,
  unprovenRetryWindowMs: 3_600_000,
  disableAfterMs: 5 * DAY,
  circuitThreshold: 3,
  circuitCooldownMs: 30_000,
};
const CLOSED: EndpointState = {
  active: true,
  failingSince: null,
  hasSucceeded: true,
  paused: false,
  pauseCount: 0,
  probeDeliveryId: null,
  rateLimit: null,
};
const OK: AttemptOutcome = { statusCode: 200, error: null };
const SERVER_ERROR: AttemptOutcome = { statusCode: 500, error: null };
const GONE: AttemptOutcome = { statusCode: 410, error: null };
const TIMEOUT: AttemptOutcome = { statusCode: null, error: 'timeout after 15000 ms' };
const REFUSED: AttemptOutcome = { statusCode: null, error: 'connect ECONNREFUSED 203.0.113.9:443' };
const BLOCKED: AttemptOutcome = { statusCode: null, error: BLOCKED_PRIVATE_ADDRESS };
const INSECURE: AttemptOutcome = { statusCode: null, error: BLOCKED_INSECURE_URL };
const INVALID: AttemptOutcome = { statusCode: null, error: 'invalid response: status 000' };

function context(overrides: Partial<AttemptContext> = {}): AttemptContext {
  return {
    attemptsBefore: 0,
    manual: false,
    probe: false,
    endpoint: CLOSED,
    unreachableStreak: 0,
    now: NOW,
    ...overrides,
  };
}

const at = (ms: number) => new Date(NOW.getTime() + ms);

describe('nextRetryDelayMs', () => {
  const failure = { statusCode: 500 };

  it('follows the schedule: after attempt n comes scheduleMs[n-1]', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, failure)).toBe(5_000);
    expect(nextRetryDelayMs(2, SCHEDULE, failure)).toBe(300_000);
    expect(nextRetryDelayMs(3, SCHEDULE, failure)).toBe(1_800_000);
  });

  it('returns null when no attempt is left', () => {
    expect(nextRetryDelayMs(4, SCHEDULE, failure)).toBeNull();
    expect(nextRetryDelayMs(9, SCHEDULE, failure)).toBeNull();
    expect(nextRetryDelayMs(1, [], failure)).toBeNull();
  });

  it('treats network failures (no status) like any failure', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: null })).toBe(5_000);
  });

  it('never retries a 410 Gone', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: 410 })).toBeNull();
  });

  it.each([429, 503])('honours Retry-After on %i, up to twice the scheduled delay', (statusCode) => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode, retryAfterMs: 7_000 })).toBe(7_000);
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode, retryAfterMs: 60_000 })).toBe(10_000);
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode, retryAfterMs: 1_000 })).toBe(5_000);
    expect(nextRetryDelayMs(2, SCHEDULE, { statusCode, retryAfterMs: 0 })).toBe(300_000);
  });

  it('ignores Retry-After on other statuses', () => {
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: 500, retryAfterMs: 7_000 })).toBe(5_000);
    expect(nextRetryDelayMs(1, SCHEDULE, { statusCode: null, retryAfterMs: 7_000 })).toBe(5_000);
  });

  it('still stops after the last attempt whatever Retry-After says', () => {
    expect(nextRetryDelayMs(4, SCHEDULE, { statusCode: 429, retryAfterMs: 1_000 })).toBeNull();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses failedAttempt %p', (attempt) => {
    expect(() => nextRetryDelayMs(attempt, SCHEDULE, failure)).toThrow(RangeError);
  });
});

describe('outcomeKind', () => {
  it.each([
    [OK, 'success'],
    [{ statusCode: 204, error: null }, 'success'],
    [{ statusCode: 299, error: null }, 'success'],
    [GONE, 'gone'],
    [TIMEOUT, 'unreachable'],
    [REFUSED, 'unreachable'],
    [{ statusCode: null, error: 'ECONNRESET: socket hang up' }, 'unreachable'],
    [{ statusCode: null, error: 'UND_ERR_SOCKET: other side closed' }, 'unreachable'],
    [INVALID, 'failed'],
    [{ statusCode: null, error: 'invalid response: malformed status line' }, 'failed'],
    [BLOCKED, 'failed'],
    [INSECURE, 'failed'],
    [SERVER_ERROR, 'failed'],
    [{ statusCode: 302, error: null }, 'failed'],
    [{ statusCode: 199, error: null }, 'failed'],
    [{ statusCode: 429, error: null }, 'failed'],
  ] as const)('%j is %s', (outcome, kind) => {
    expect(outcomeKind(outcome)).toBe(kind);
  });
});

describe('cooldownMs', () => {
  it('doubles with each pause in a row, up to 16 times the first', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => cooldownMs(n, RULES))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 480_000, 480_000,
    ]);
  });
});

describe('beforeAttempt', () => {
  const paused = { ...CLOSED, paused: true, pauseCount: 1 };
  it('attempts on an active, closed endpoint, scheduled or manual', () => {
    expect(beforeAttempt(CLOSED, 'd1', false)).toBe('attempt');
    expect(beforeAttempt(CLOSED, 'd1', true)).toBe('attempt');
  });
  it('drops deliveries of a webhook switched off meanwhile, whatever the circuit', () => {
    expect(beforeAttempt({ ...CLOSED, active: false }, 'd1', false)).toBe('drop');
    expect(beforeAttempt({ ...paused, active: false }, 'd1', true)).toBe('drop');
    // Its event erased: never sent, not even when a user asks for it.
    expect(beforeAttempt({ ...CLOSED, eventErased: true }, 'd1', false)).toBe('drop');
    expect(beforeAttempt({ ...CLOSED, eventErased: true }, 'd1', true)).toBe('drop');
  });
  it('parks scheduled deliveries of a paused endpoint, except its probe', () => {
    expect(beforeAttempt(paused, 'd1', false)).toBe('park');
    expect(beforeAttempt({ ...paused, probeDeliveryId: 'd2' }, 'd1', false)).toBe('park');
    expect(beforeAttempt({ ...paused, probeDeliveryId: 'd1' }, 'd1', false)).toBe('attempt');
  });
  it("lets a user's redelivery through a paused endpoint", () => {
    expect(beforeAttempt(paused, 'd1', true)).toBe('attempt');
  });
  it('takes a throttle slot first when the webhook has a rateLimit, scheduled or manual', () => {
    const limited = { ...CLOSED, rateLimit: 5 };
    expect(beforeAttempt(limited, 'd1', false)).toBe('throttle');
    expect(beforeAttempt(limited, 'd1', true)).toBe('throttle');
    expect(beforeAttempt(limited, 'd1', false, true)).toBe('attempt');
    // Dropping and parking come first: a slot is never spent on a delivery that will not be sent.
    expect(beforeAttempt({ ...limited, active: false }, 'd1', false)).toBe('drop');
    expect(beforeAttempt({ ...limited, paused: true }, 'd1', false)).toBe('park');
  });
});

describe('afterAttempt: the delivery', () => {
  it('a success ends it, ends the unreachable streak, and leaves a closed circuit alone', () => {
    const decision = afterAttempt(OK, context({ unreachableStreak: 2 }), RULES);
    expect(decision).toEqual({
      success: true,
      kind: 'success',
      status: 'succeeded',
      nextAttemptAt: undefined,
      disable: null,
      circuit: null,
      unreachableStreak: 0,
      outcome: 'success',
    });
  });

  it.each([0, 1, 2])('failure of scheduled attempt %i + 1 is retried on the schedule', (before) => {
    const decision = afterAttempt(SERVER_ERROR, context({ attemptsBefore: before }), RULES);
    expect(decision.status).toBe('pending');
    expect(decision.nextAttemptAt).toEqual(at(SCHEDULE[before]));
    expect(decision.outcome).toBe('failed_will_retry');
    expect(decision.disable).toBeNull();
  });

  it('the last scheduled attempt failing ends it as failed', () => {
    const decision = afterAttempt(SERVER_ERROR, context({ attemptsBefore: 3 }), RULES);
    expect(decision).toMatchObject({ status: 'failed', nextAttemptAt: undefined, outcome: 'failed_final' });
  });

  it('honours Retry-After on 429 and 503, capped at twice the scheduled delay', () => {
    const slow = afterAttempt({ statusCode: 503, error: null, retryAfterMs: 8_000 }, context(), RULES);
    expect(slow.nextAttemptAt).toEqual(at(8_000));
    const capped = afterAttempt({ statusCode: 429, error: null, retryAfterMs: 99_000 }, context(), RULES);
    expect(capped.nextAttemptAt).toEqual(at(10_000));
  });

  it('a manual redelivery never touches the schedule, whatever it gets', () => {
    for (const outcome of [SERVER_ERROR, TIMEOUT, BLOCKED]) {
      const decision = afterAttempt(outcome, context({ manual: true, attemptsBefore: 1 }), RULES);
      expect(decision.status).toBeUndefined();
      expect(decision.nextAttemptAt).toBeUndefined();
    }
    expect(afterAttempt(OK, context({ manual: true }), RULES).status).toBe('succeeded');
  });

  it('a blocked private address is counted as blocked, and retried like any failure', () => {
    const decision = afterAttempt(BLOCKED, context(), RULES);
    expect(decision).toMatchObject({ outcome: 'blocked', status: 'pending', kind: 'failed', circuit: null });
    expect(afterAttempt(INSECURE, context(), RULES)).toMatchObject({
      outcome: 'blocked',
      kind: 'failed',
      circuit: null,
    });
  });
});

describe('afterAttempt: disabling', () => {
  it('410 Gone disables at once and is never retried, even as the first attempt', () => {
    const decision = afterAttempt(GONE, context(), RULES);
    expect(decision).toMatchObject({ disable: 'gone', status: 'failed', outcome: 'failed_final' });
    expect(afterAttempt(GONE, context({ manual: true }), RULES).disable).toBe('gone');
  });

  it('a failure disables as failing once the streak is older than disableAfterMs', () => {
    const old = { ...CLOSED, failingSince: at(-5 * DAY) };
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: old }), RULES)).toMatchObject({
      disable: 'failing',
      outcome: 'failed_final',
      circuit: null,
    });
    const young = { ...CLOSED, failingSince: at(-5 * DAY + 1) };
    expect(afterAttempt(SERVER_ERROR, context({ endpoint: young }), RULES).disable).toBeNull();
  });

  it('a failure that starts a streak never disables, and a success never does', () => {
    expect(afterAttempt(TIMEOUT, context(), RULES).disable).toBeNull();
    const old = { ...CLOSED, failingSince: at(-30 * DAY) };
    expect(afterAttempt(OK, context({ endpoint: old }), RULES).disable).toBeNull();
  });

  it('a paused endpoint whose probe keeps failing is still disabled as failing', () => {
    const paused = { ...CLOSED, paused: true, pauseCount: 4, failingSince: at(-6 * DAY) };
    const decision = afterAttempt(TIMEOUT, context({ endpoint: paused, probe: true }), RULES);
    expect(decision.disable).toBe('failing');
    expect(decision.circuit).toBeNull();
  });
});

describe('afterAttempt: the circuit', () => {
  it('opens after circuitThreshold unreachable attempts in a row', () => {
    expect(afterAttempt(TIMEOUT, context({ unreachableStreak: 1 }), RULES)).toMatchObject({
      unreachableStreak: 2,
      circuit: null,
    });
    expect(afterAttempt(REFUSED, context({ unreachableStreak: 2 }), RULES)).toMatchObject({
      unreachableStreak: 3,
      circuit: { action: 'open', pauseCount: 1, until: at(30_000) },
    });
  });

  it('answers that are failures (5xx, 3xx, blocked, invalid) neither open it nor count toward it', () => {
    for (const outcome of [SERVER_ERROR, { statusCode: 302, error: null }, BLOCKED, INVALID]) {
      expect(afterAttempt(outcome, context({ unreachableStreak: 2 }), RULES)).toMatchObject({
        unreachableStreak: 0,
        circuit: null,
      });
    }
  });

  it('a failed probe reopens it for twice as long', () => {
    const paused = { ...CLOSED, paused: true, pauseCount: 2, probeDeliveryId: 'd1', failingSince: NOW };
    expect(afterAttempt(TIMEOUT, context({ endpoint: paused, probe: true }), RULES).circuit).toEqual({
      action: 'open',
      pauseCount: 3,
      until: at(120_000),
    });
  });

  it('an unreachable attempt that was not the probe leaves an open circuit as it is', () => {
    const paused = { ...CLOSED, paused: true, pauseCount: 1, failingSince: NOW };
    expect(
      afterAttempt(TIMEOUT, context({ endpoint: paused, unreachableStreak: 9 }), RULES).circuit,
    ).toBeNull();
  });

  it('any answer while paused closes it: a probe, a redelivery, an attempt that began before the pause', () => {
    const paused = { ...CLOSED, paused: true, pauseCount: 3, failingSince: NOW };
    for (const overrides of [{ probe: true }, { manual: true }, {}]) {
      for (const outcome of [OK, SERVER_ERROR, INVALID]) {
        const decision = afterAttempt(outcome, context({ endpoint: paused, ...overrides }), RULES);
        expect(decision.circuit).toEqual({ action: 'close' });
      }
    }
  });

  it('the delivery of a failed probe keeps its own retry schedule', () => {
    const paused = { ...CLOSED, paused: true, pauseCount: 1, failingSince: NOW };
    const decision = afterAttempt(
      TIMEOUT,
      context({ endpoint: paused, probe: true, attemptsBefore: 1 }),
      RULES,
    );
    expect(decision).toMatchObject({ status: 'pending', nextAttemptAt: at(SCHEDULE[1]) });
  });
});

describe('causedByOwner', () => {
  it('is the owner for the service’s own events, redeliveries and recovered deliveries; the platform otherwise', () => {
    const of = (eventName: string, manual = false, recovered = false) =>
      causedByOwner({ eventName, manual, recovered });
    for (const name of [
      'webhook.ping',
      'webhook.created',
      'webhook.updated',
      'webhook.deleted',
      'webhook.disabled',
    ]) {
      expect({ name, owner: of(name) }).toEqual({ name, owner: true });
    }
    for (const name of [
      'webhook.failing',
      'webhook.recovered',
      'webhook.paused',
      'webhook.resumed',
      'delivery.exhausted',
    ]) {
      expect({ name, owner: of(name) }).toEqual({ name, owner: true });
    }
    expect(of('api.created')).toBe(false);
    expect(of('api.created', true)).toBe(true);
    expect(of('release.released', false, true)).toBe(true);
  });
});
