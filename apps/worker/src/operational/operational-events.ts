import type { Logger } from '@nestjs/common';
import { attachLastDeliveries, openHeaders } from '@app/database';
import { EventName, SERVICE_EVENT_NAMES } from '@app/events';
import {
  deliveryExhaustedEnvelope,
  ExhaustedDeliverySource,
  FailureDetails,
  recordOutboxEnvelopes,
  StoredWebhookEventSource,
  webhookEventColumns,
  webhookOperationalEnvelope,
  WebhookOperationalEvent,
} from '@app/outbox';
import { SecretBox } from '@app/signing';

/*
 * The worker's operational events (README → Operational events), written to the outbox by the
 * transaction that makes the change they report: the attempt record (failing, recovered,
 * exhausted), the disable (exhausted), the circuit (paused, resumed).
 */

/** webhook.failing goes out at this many failed attempts in a row (and not again until a success). */
export const FAILING_AFTER_ATTEMPTS = 4;

/** Rows of one statement, in whatever transaction the caller has open. */
export interface TransactionRows {
  query<T>(text: string, values: unknown[]): Promise<T[]>;
}

export interface WebhookOperationalChange {
  webhookId: string;
  name: WebhookOperationalEvent;
  details?: FailureDetails;
  /** Caused by an attempt of its owner's (lifecycle.ts causedByOwner): sent only if `charge` allows it. */
  charged?: boolean;
}

/** An operational event its owner caused, for the owner's action budget. */
export interface OperationalCharge {
  name: EventName;
  ownerId: string;
  webhookId: string;
}

/**
 * Takes what the event will cost (one delivery per webhook that receives it) from the owner's
 * ACTION_DELIVERY_LIMIT; false when the budget cannot cover it: the event is not sent (OperationalCharges).
 */
export type ChargeOperational = (db: TransactionRows, event: OperationalCharge) => Promise<boolean>;

/** $1 webhook ids. */
const WEBHOOK_SOURCES_SQL = `SELECT ${webhookEventColumns('w')} FROM webhooks w WHERE w.id = ANY($1::uuid[])`;

/**
 * webhook.* operational events of these changes, the webhook as the transaction sees it (its last
 * attempt included). A webhook deleted meanwhile gets none: its owner was told by webhook.deleted. A
 * change its owner caused is sent only as far as `charge` allows.
 */
export async function recordWebhookChanges(
  db: TransactionRows,
  secretBox: SecretBox,
  changes: readonly WebhookOperationalChange[],
  charge?: ChargeOperational,
): Promise<number> {
  if (changes.length === 0) return 0;
  const ids = [...new Set(changes.map((change) => change.webhookId))];
  const rows = await db.query<StoredWebhookEventSource>(WEBHOOK_SOURCES_SQL, [ids]);
  await attachLastDeliveries(
    { query: (text: string, values?: unknown[]) => db.query(text, values ?? []) } as never,
    rows,
  );
  const byId = new Map(
    rows.map(({ storedHeaders, ...webhook }) => [
      webhook.id,
      { ...webhook, headers: headerNames(secretBox, storedHeaders) },
    ]),
  );
  const envelopes = [];
  for (const change of changes) {
    const webhook = byId.get(change.webhookId);
    if (!webhook) continue;
    const charged = { name: change.name, ownerId: webhook.ownerId, webhookId: webhook.id };
    if (change.charged && charge && !(await charge(db, charged))) continue;
    envelopes.push(webhookOperationalEnvelope(change.name, webhook, change.details));
  }
  await recordOutboxEnvelopes(db, envelopes);
  return envelopes.length;
}

/**
 * The event shows header names only. Headers that cannot be opened (a key removed) show none rather
 * than keep the attempt that caused the event from being recorded.
 */
function headerNames(secretBox: SecretBox, stored: string | null): Record<string, string> | null {
  if (stored === null) return null;
  try {
    return openHeaders(secretBox, stored);
  } catch {
    return null;
  }
}

/**
 * $1 delivery ids, $2 the service's own event names. What delivery.exhausted shows of deliveries
 * that the caller's statement has just ended failed and marked exhausted (RECORD_ATTEMPTS_SQL,
 * FAIL_DELIVERY_SQL set exhausted_at with the status, once in a delivery's life), for those whose
 * event is a platform event: none for a ping, a lifecycle or an operational event (no feedback loop,
 * and a user's own actions buy no notices). Only reads: should writing the events fail, the mark
 * stays, and the delivery never publishes delivery.exhausted twice.
 */
const EXHAUSTED_SQL = `
  SELECT d.id AS "deliveryId", d.webhook_id AS "webhookId", w.url, w.owner_id AS "ownerId",
         d.event_id AS "eventId", e.name AS "eventName", d.attempts, d.created_at AS "createdAt",
         d.updated_at AS "updatedAt", a.status_code AS "statusCode", a.response, a.error, a.created_at AS "attemptAt"
    FROM deliveries d
    JOIN webhooks w ON w.id = d.webhook_id
    JOIN events e ON e.id = d.event_id
    LEFT JOIN LATERAL (
      SELECT status_code, response, error, created_at FROM delivery_attempts
       WHERE delivery_id = d.id ORDER BY attempt DESC LIMIT 1) a ON true
   WHERE d.id = ANY($1::uuid[]) AND e.name <> ALL($2::text[])`;

type ExhaustedRow = Omit<ExhaustedDeliverySource, 'lastAttempt'> & {
  statusCode: number | null;
  response: string | null;
  error: string | null;
  attemptAt: Date | null;
};

/**
 * delivery.exhausted for deliveries that the caller's transaction has just ended `failed` and marked
 * exhausted: the one place it is published (README → Operational events), once per delivery, for
 * platform events only. Returns how many were written.
 */
export async function recordExhausted(db: TransactionRows, deliveryIds: readonly string[]): Promise<number> {
  if (deliveryIds.length === 0) return 0;
  const rows = await db.query<ExhaustedRow>(EXHAUSTED_SQL, [deliveryIds, SERVICE_EVENT_NAMES]);
  const envelopes = rows.map(({ statusCode, response, error, attemptAt, ...delivery }) =>
    deliveryExhaustedEnvelope({
      ...delivery,
      lastAttempt: attemptAt === null ? null : { statusCode, response: response ?? '', error, at: attemptAt },
    }),
  );
  await recordOutboxEnvelopes(db, envelopes);
  return envelopes.length;
}

/** What the record of one attempt changed, as RECORD_ATTEMPTS_SQL reports it. */
export interface AttemptOutcome {
  webhookId: string;
  deliveryId: string;
  /** The webhook's failure count reached FAILING_AFTER_ATTEMPTS with this batch. */
  failing: boolean;
  /** A success ended a count at FAILING_AFTER_ATTEMPTS. */
  recovered: boolean;
  /** The attempt ended its delivery failed, marking it exhausted (once in its life). */
  exhausted: boolean;
  /** When the run of failures began (the one that ended, for recovered). */
  failingSince: Date;
  /** The webhook's owner caused the attempt (lifecycle.ts causedByOwner). */
  ownerCaused: boolean;
}

/**
 * The operational events of a batch of attempt records, in the records' transaction. Under a
 * savepoint: should an event be impossible to write, the attempts are still recorded (a delivery
 * whose attempt cannot be recorded would be sent again and again). Returns how many were written.
 */
export async function recordAttemptEvents(
  db: TransactionRows,
  secretBox: SecretBox,
  outcomes: readonly AttemptOutcome[],
  logger: Pick<Logger, 'error'>,
  charge: ChargeOperational,
): Promise<number> {
  const changes: WebhookOperationalChange[] = [];
  const exhausted: string[] = [];
  for (const {
    webhookId,
    deliveryId,
    failing,
    recovered,
    failingSince,
    ownerCaused,
    ...outcome
  } of outcomes) {
    const charged = ownerCaused;
    if (recovered) changes.push({ webhookId, name: 'webhook.recovered', details: { failingSince }, charged });
    if (failing) {
      const details = { consecutiveFailures: FAILING_AFTER_ATTEMPTS, failingSince };
      changes.push({ webhookId, name: 'webhook.failing', details, charged });
    }
    if (outcome.exhausted) exhausted.push(deliveryId);
  }
  if (changes.length === 0 && exhausted.length === 0) return 0;
  await db.query('SAVEPOINT operational_events', []);
  try {
    const written =
      (await recordWebhookChanges(db, secretBox, changes, charge)) + (await recordExhausted(db, exhausted));
    await db.query('RELEASE SAVEPOINT operational_events', []);
    return written;
  } catch (error) {
    await db.query('ROLLBACK TO SAVEPOINT operational_events', []);
    logger.error(`operational events not written: ${(error as Error).message}`);
    return 0;
  }
}

/** An EntityManager (or anything with its `query`) as TransactionRows. */
export function rowsOf(manager: {
  query(text: string, values: unknown[]): Promise<unknown>;
}): TransactionRows {
  return { query: async <T>(text: string, values: unknown[]) => (await manager.query(text, values)) as T[] };
}
