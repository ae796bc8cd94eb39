import type { DeliveryStatus, DisabledReason } from '@app/database';
import { SERVICE_EVENT_NAMES } from '@app/events';
import { isBlockedByPolicy } from '@app/netguard';
import { isInvalidResponse } from './response-errors';
import { RETRY_AFTER_STATUSES } from './retry-after';

/*
 * The delivery lifecycle (README → Delivery, README → Fair delivery): every rule that turns an attempt's
 * outcome, or a claimed delivery's circumstances, into what happens next. Pure: the processor
 * executes the decisions and the SQL only persists them.
 */

/**
 * An attempt its webhook's owner caused, not the platform (README → API → Rate limits): a delivery of
 * an event the service emits itself (a ping, a `webhook.*` lifecycle or operational event), a
 * redelivery, or an attempt of a recovered delivery. The operational events such an attempt causes
 * (failing, recovered, paused, resumed, disabled) are charged to the owner's ACTION_DELIVERY_LIMIT and
 * not sent when it cannot cover them; delivery.exhausted it never causes (a delivery publishes it once,
 * for a platform event only).
 */
export function causedByOwner(attempt: { eventName: string; manual: boolean; recovered: boolean }): boolean {
  return (
    attempt.manual ||
    attempt.recovered ||
    (SERVICE_EVENT_NAMES as readonly string[]).includes(attempt.eventName)
  );
}

/** How a delivery attempt ended, for `event_api_deliveries_total{outcome}`. */
export type DeliveryOutcome = 'success' | 'failed_will_retry' | 'failed_final' | 'dropped' | 'blocked';

export interface LifecycleRules {
  /** Delays before attempts 2, 3, …; the first attempt is immediate. */
  readonly retryScheduleMs: readonly number[];
  /**
   * While an endpoint has never answered 2xx at its URL, only the retries that fall within this
   * long after a delivery's first attempt are made (DELIVERY_UNPROVEN_RETRY_WINDOW).
   */
  readonly unprovenRetryWindowMs: number;
  /** A failure streak older than this disables the webhook as `failing`. */
  readonly disableAfterMs: number;
  /** Consecutive unreachable attempts (timeout, connection refused or reset) that pause an endpoint. */
  readonly circuitThreshold: number;
  /** First cool-down of a paused endpoint; each failed probe doubles it, up to MAX_COOLDOWN_FACTOR times. */
  readonly circuitCooldownMs: number;
}

export const MAX_COOLDOWN_FACTOR = 16;

/**
 * The schedule a delivery to this endpoint follows: the whole one once a delivery to its URL has
 * succeeded; until then only the delays that end within `unprovenWindowMs` of the first attempt, so
 * a typo'd or hostile URL gets an hour of retries per event (5 s, 5 min, 30 min by default), not days.
 */
export function retryScheduleFor(
  endpoint: Pick<EndpointState, 'hasSucceeded'>,
  scheduleMs: readonly number[],
  unprovenWindowMs: number,
): readonly number[] {
  if (endpoint.hasSucceeded) return scheduleMs;
  let elapsed = 0;
  const within = scheduleMs.findIndex((delay) => (elapsed += delay) > unprovenWindowMs);
  return within < 0 ? scheduleMs : scheduleMs.slice(0, within);
}

/**
 * Delay before the next attempt after attempt `failedAttempt` (1-based) failed, or null when no
 * attempt is left. `scheduleMs[i]` is the delay before attempt i + 2. A 410 is final (the webhook
 * is disabled), so it gets null too. After a 429/503 with Retry-After the wait is
 * max(scheduled, Retry-After), capped at twice the scheduled delay so a receiver cannot park us.
 */
export function nextRetryDelayMs(
  failedAttempt: number,
  scheduleMs: readonly number[],
  response: { statusCode: number | null; retryAfterMs?: number },
): number | null {
  if (!Number.isInteger(failedAttempt) || failedAttempt < 1) {
    throw new RangeError(`failedAttempt must be a positive integer, got ${failedAttempt}`);
  }
  if (response.statusCode === 410) return null;
  if (failedAttempt > scheduleMs.length) return null;
  const scheduled = scheduleMs[failedAttempt - 1];
  const retryAfter = response.retryAfterMs;
  if (
    response.statusCode !== null &&
    RETRY_AFTER_STATUSES.has(response.statusCode) &&
    retryAfter !== undefined &&
    Number.isFinite(retryAfter) &&
    retryAfter > scheduled
  ) {
    return Math.min(retryAfter, 2 * scheduled);
  }
  return scheduled;
}

/** The cool-down of the `pauseCount`-th pause in a row (1-based). */
export function cooldownMs(pauseCount: number, rules: Pick<LifecycleRules, 'circuitCooldownMs'>): number {
  const factor = Math.min(MAX_COOLDOWN_FACTOR, 2 ** Math.max(0, pauseCount - 1));
  return rules.circuitCooldownMs * factor;
}

/** What the endpoint's circuit sees in an outcome. */
export type OutcomeKind = 'success' | 'gone' | 'unreachable' | 'failed';

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  retryAfterMs?: number;
}

/**
 * `unreachable`: no answer at all (timeout, refused, reset, DNS): what opens the circuit.
 * A refused private address or plain-http URL is a plain failure: the endpoint is not down, it is not allowed.
 * So is an `invalid response: …`: the endpoint answered at once, just not in usable HTTP.
 */
export function outcomeKind(outcome: AttemptOutcome): OutcomeKind {
  const { statusCode, error } = outcome;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode === 410) return 'gone';
  if (statusCode === null && !isBlockedByPolicy(error) && !isInvalidResponse(error)) {
    return 'unreachable';
  }
  return 'failed';
}

/** The webhook as the claim found it. */
export interface EndpointState {
  active: boolean;
  /** Start of the current failure streak, null when the last attempt succeeded. */
  failingSince: Date | null;
  /** A delivery to the current URL has succeeded at least once (webhooks.first_success_at is set). */
  hasSucceeded: boolean;
  /** The circuit is open or half-open (paused_until is set). */
  paused: boolean;
  pauseCount: number;
  /** The delivery that may probe a paused endpoint, if one was chosen. */
  probeDeliveryId: string | null;
  /** At most this many attempts per second, across all workers; null: no limit. */
  rateLimit: number | null;
}

/** What to do with a claimed delivery before any attempt. */
export type Admission = 'attempt' | 'throttle' | 'drop' | 'park';

/**
 * Deleted or deactivated meanwhile, or, for a manual redelivery (which reads the delivery's state,
 * DeliveryState.eventErased), its event erased (README → API → Erasure; a body cached by a worker must
 * not go out either): dropped, a manual redelivery too. Paused: parked until the circuit
 * closes, except the probe and a user's manual redelivery. A webhook with a rateLimit takes a throttle
 * slot first (`throttle`: unless this attempt already holds one), and waits for it uncounted.
 * Otherwise the attempt is made.
 */
export function beforeAttempt(
  endpoint: EndpointState & { eventErased?: boolean },
  deliveryId: string,
  manual: boolean,
  holdsThrottleSlot = false,
): Admission {
  if (!endpoint.active || endpoint.eventErased) return 'drop';
  if (endpoint.paused && !manual && endpoint.probeDeliveryId !== deliveryId) return 'park';
  if (endpoint.rateLimit !== null && !holdsThrottleSlot) return 'throttle';
  return 'attempt';
}

export type CircuitChange = { action: 'open'; until: Date; pauseCount: number } | { action: 'close' } | null;

export interface AttemptDecision {
  success: boolean;
  kind: OutcomeKind;
  /** The delivery's new status; undefined leaves it as it is (a manual redelivery). */
  status?: DeliveryStatus;
  /** When the next scheduled attempt is due (status pending). */
  nextAttemptAt?: Date;
  /** Switch the webhook off, for this reason (its other deliveries are dropped). */
  disable: DisabledReason | null;
  circuit: CircuitChange;
  /** This worker's count of consecutive unreachable attempts to the endpoint, after this one. */
  unreachableStreak: number;
  outcome: DeliveryOutcome;
}

export interface AttemptContext {
  /** Attempts the delivery had before this one (scheduled and manual). */
  attemptsBefore: number;
  /** A user's redelivery: one extra attempt that never touches the schedule. */
  manual: boolean;
  /** This attempt is the probe of a paused endpoint. */
  probe: boolean;
  endpoint: EndpointState;
  /** Consecutive unreachable attempts this worker saw before this one. */
  unreachableStreak: number;
  now: Date;
}

/** After one attempt: the delivery's next state, the webhook's fate, and the endpoint's circuit. */
export function afterAttempt(
  outcome: AttemptOutcome,
  context: AttemptContext,
  rules: LifecycleRules,
): AttemptDecision {
  const kind = outcomeKind(outcome);
  const success = kind === 'success';
  const { endpoint, now } = context;
  const unreachableStreak = kind === 'unreachable' ? context.unreachableStreak + 1 : 0;

  let disable: DisabledReason | null = null;
  if (kind === 'gone') disable = 'gone';
  else if (
    !success &&
    endpoint.failingSince !== null &&
    endpoint.failingSince.getTime() <= now.getTime() - rules.disableAfterMs
  ) {
    disable = 'failing';
  }

  // Disabling fails this delivery and drops the others (DISABLE_WEBHOOK_SQL, once, whichever
  // attempt gets there first); the delivery's own state is what it would be without it.
  let status: DeliveryStatus | undefined;
  let nextAttemptAt: Date | undefined;
  if (success) status = 'succeeded';
  else if (!context.manual) {
    // The schedule counts the scheduled attempts; this is the next one. An unproven endpoint's
    // delivery that already had its attempts (its URL changed) ends with this one.
    const scheduleMs = retryScheduleFor(endpoint, rules.retryScheduleMs, rules.unprovenRetryWindowMs);
    const delayMs = nextRetryDelayMs(context.attemptsBefore + 1, scheduleMs, outcome);
    status = delayMs === null ? 'failed' : 'pending';
    if (delayMs !== null) nextAttemptAt = new Date(now.getTime() + delayMs);
  }

  return {
    success,
    kind,
    status,
    nextAttemptAt,
    disable,
    circuit: disable === null ? circuitAfter(kind, context, unreachableStreak, rules) : null,
    unreachableStreak,
    outcome: success
      ? 'success'
      : isBlockedByPolicy(outcome.error)
        ? 'blocked'
        : status === 'pending' && disable === null
          ? 'failed_will_retry'
          : 'failed_final',
  };
}

/**
 * Any HTTP response closes an open circuit (the endpoint answers; the retry and disable rules deal
 * with what it answered). A failed probe reopens it for a longer cool-down; `circuitThreshold`
 * unreachable attempts in a row open a closed one.
 */
function circuitAfter(
  kind: OutcomeKind,
  context: AttemptContext,
  unreachableStreak: number,
  rules: LifecycleRules,
): CircuitChange {
  const { endpoint, now } = context;
  if (kind !== 'unreachable') return endpoint.paused ? { action: 'close' } : null;
  if (endpoint.paused) {
    if (!context.probe) return null;
    const pauseCount = endpoint.pauseCount + 1;
    return { action: 'open', pauseCount, until: new Date(now.getTime() + cooldownMs(pauseCount, rules)) };
  }
  if (unreachableStreak < rules.circuitThreshold) return null;
  return { action: 'open', pauseCount: 1, until: new Date(now.getTime() + cooldownMs(1, rules)) };
}
