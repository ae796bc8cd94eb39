import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import {
  DeliveryStatus,
  DisabledReason,
  lastDeliveryOf,
  WebhookOrdering,
  liftStatementTimeout,
  openHeaders,
  PreparedStatements,
  PreparedTransaction,
} from '@app/database';
import { SecretBox, withoutReservedHeaders } from '@app/signing';
import { recordWebhookEvent, StoredWebhookEventSource, SYSTEM_USER } from '@app/outbox';
import { toStorableText } from '@app/text';
import { OperationalCharges } from '../operational/operational-charges';
import {
  AttemptOutcome,
  FAILING_AFTER_ATTEMPTS,
  recordAttemptEvents,
  recordExhausted,
  rowsOf,
} from '../operational/operational-events';
import type { EndpointState } from './lifecycle';
import type { RecordedRequest } from './recorded-request';
import {
  CLAIM_SQL,
  DELIVERY_STATE_SQL,
  DISABLE_WEBHOOK_SQL,
  DROP_OTHER_DELIVERIES_SQL,
  EVENT_BODIES_SQL,
  FAIL_DELIVERY_SQL,
  RECORD_ATTEMPTS_SQL,
  SET_ASIDE_SQL,
} from './delivery.sql';

/** A delivery claimed for one attempt, with its webhook (the event body comes from EventBodies). */
export interface ClaimedDelivery extends EndpointState {
  deliveryId: string;
  attempts: number;
  eventId: string;
  webhookId: string;
  url: string;
  secrets: string[];
  /** The webhook's custom headers as sent: opened, reserved names left out; null: none. */
  headers: Record<string, string> | null;
  /** `fifo`: a delivery that ends moves the webhook's line on (README → Ordered delivery). */
  ordering: WebhookOrdering;
  /** It ended failed once and was recovered since (deliveries.exhausted_at is set). */
  recovered: boolean;
}

/**
 * A row as the database returns it: the custom headers still as stored (sealed, or JSON text), as
 * `storedHeaders` (the name webhookEventColumns gives the sealed value too).
 */
type StoredRow<T> = Omit<T, 'headers'> & { storedHeaders: string | null };
/** The same row with its headers opened. */
type OpenedRow<T> = Omit<T, 'headers'> & { headers: Record<string, string> | null };

/**
 * Opened secrets and sendable header maps kept per worker (sealed values differ on every write, so
 * no stale hits).
 */
const OPENED_CACHE_SIZE = 10_000;

/** Where a delivery stands, for a job that could not claim it, or a manual redelivery. */
export interface DeliveryState extends ClaimedDelivery {
  status: DeliveryStatus;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  /**
   * Its event was erased (README → API → Erasure): a manual redelivery is dropped, never sent. (A
   * claim needs no such check: delivery.sql.ts EVENT_ERASED.)
   */
  eventErased: boolean;
}

export interface StoredEvent {
  name: string;
  body: string;
}

export interface AttemptRecord {
  attemptId: string;
  deliveryId: string;
  webhookId: string;
  eventId: string;
  eventName: string;
  success: boolean;
  statusCode: number | null;
  response: string;
  error: string | null;
  durationMs: number;
  /** New delivery state; undefined leaves it as it is (a manual redelivery that failed). */
  status?: DeliveryStatus;
  nextAttemptAt?: Date;
  /** A manual redelivery: it never touches the scheduled attempt's lease or schedule. */
  manual: boolean;
  /** The URL this attempt went to: a success counts for the webhook only while it still has it. */
  url: string;
  /** What the delivery log shows of the request sent. */
  request: RecordedRequest;
  /** The webhook's owner caused this attempt (lifecycle.ts causedByOwner): what it causes is charged to them. */
  ownerCaused: boolean;
}

export interface SetAside {
  deliveryId: string;
  status: 'dropped' | 'paused' | 'pending';
  /** Pending again: due no earlier than this (a throttle slot). */
  notBefore?: Date;
}

export interface RecordedAttempt {
  /** The attempt number given to the row; null when the delivery is gone (webhook deleted). */
  attempt: number | null;
  /**
   * The delivery's status after the record; null when it is gone. A delivery dropped while the
   * attempt was under way stays dropped, whatever the attempt's outcome.
   */
  deliveryStatus: DeliveryStatus | null;
  /** Operational events this record wrote to the outbox (the relay is to be kicked). */
  operational?: number;
}

type RecordRow = Omit<AttemptOutcome, 'webhookId' | 'deliveryId' | 'ownerCaused'> & {
  attempt: number | null;
  deliveryStatus: DeliveryStatus | null;
};

/** The delivery pipeline's SQL; every hot statement works on a whole batch of rows. */
@Injectable()
export class DeliveryStore {
  private readonly logger = new Logger('DeliveryStore');
  private readonly sql: PreparedStatements;
  private readonly openedSecrets = new Map<string, string>();
  private readonly sendableHeaders = new Map<string, Record<string, string>>();

  /** Lock waits of the statements whose running time grows with a webhook's backlog. */
  private readonly lockTimeoutMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
    private readonly secretBox: SecretBox,
    private readonly charges: OperationalCharges,
  ) {
    this.sql = new PreparedStatements(dataSource);
    this.lockTimeoutMs = config.databaseTimeouts.worker.statementMs;
  }

  /**
   * Secrets and custom headers as stored (sealed when SECRETS_ENCRYPTION_KEY is set) → as sent;
   * each stored value is opened, and its headers with reserved names left out (README → API →
   * Webhook fields), once, not once per delivery.
   */
  private opened<T extends ClaimedDelivery>(row: StoredRow<T>): OpenedRow<T> {
    row.secrets = row.secrets.map((stored) =>
      cached(this.openedSecrets, stored, () => this.secretBox.open(stored)),
    );
    const { storedHeaders, ...fields } = row;
    // The rest of the row is T without its headers (TypeScript cannot follow Omit through the rest).
    return { ...(fields as unknown as Omit<T, 'headers'>), headers: this.sendableHeadersOf(storedHeaders) };
  }

  private sendableHeadersOf(stored: string | null): Record<string, string> | null {
    if (stored === null) return null;
    return cached(this.sendableHeaders, stored, () =>
      withoutReservedHeaders(openHeaders(this.secretBox, stored)),
    );
  }

  /**
   * Claims due, pending deliveries for one attempt each (a killed worker's claim expires after
   * `claimMs`), with their webhook's state for the lifecycle to decide on.
   * Returns one entry per id, undefined where there is nothing to do now (`find` tells why).
   */
  async claim(deliveryIds: readonly string[], claimMs: number): Promise<Array<ClaimedDelivery | undefined>> {
    const rows = await this.sql.query<StoredRow<ClaimedDelivery>>(CLAIM_SQL, [deliveryIds, claimMs]);
    const byId = new Map(rows.map((row) => [row.deliveryId, this.opened<ClaimedDelivery>(row)]));
    return deliveryIds.map((id) => byId.get(id));
  }

  /**
   * Claimed deliveries the lifecycle set aside unattempted: dropped, parked while paused, or back
   * to pending (the claim let go while it waits for a throttle slot).
   */
  async setAside(entries: readonly SetAside[]): Promise<void> {
    await this.sql.query(SET_ASIDE_SQL, [
      entries.map((entry) => entry.deliveryId),
      entries.map((entry) => entry.status),
      entries.map((entry) => entry.notBefore ?? null),
    ]);
  }

  /** The bodies to send; none for an event gone (retention) or erased. */
  async eventBodies(eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
    const rows = await this.sql.query<StoredEvent & { id: string }>(EVENT_BODIES_SQL, [eventIds]);
    return new Map(rows.map((row) => [row.id, { name: row.name, body: row.body }]));
  }

  async find(deliveryId: string): Promise<DeliveryState | undefined> {
    const rows = await this.sql.query<StoredRow<DeliveryState>>(DELIVERY_STATE_SQL, [deliveryId]);
    return rows[0] && this.opened<DeliveryState>(rows[0]);
  }

  /**
   * After every attempt, for a whole batch in one statement (and one transaction with the
   * operational events it causes, README → Operational events): the attempt row (numbered from the
   * delivery's counter, so concurrent attempts never share a number), the delivery's new state, and
   * the webhooks' failure streaks (a success ends one, a failure starts one; a webhook row is
   * written only when its streak changes, at its URL's first success, or while its failure count
   * climbs to FAILING_AFTER_ATTEMPTS, so a busy healthy webhook's row is never a lock convoy).
   */
  async recordAttempts(records: readonly AttemptRecord[]): Promise<RecordedAttempt[]> {
    return this.sql.transaction(async (tx) => {
      const rows = await this.recordRows(tx, records);
      const operational = await recordAttemptEvents(
        rowsOf(tx),
        this.secretBox,
        rows.map((row, index) => ({
          ...row,
          webhookId: records[index].webhookId,
          deliveryId: records[index].deliveryId,
          ownerCaused: records[index].ownerCaused,
        })),
        this.logger,
        this.charges.charge,
      );
      return rows.map((row, index) => ({
        attempt: row.attempt,
        deliveryStatus: row.deliveryStatus,
        // Reported once per batch: whoever made the attempt kicks the relay.
        ...(index === 0 && operational > 0 ? { operational } : {}),
      }));
    });
  }

  private async recordRows(tx: PreparedTransaction, records: readonly AttemptRecord[]): Promise<RecordRow[]> {
    const column = <K extends keyof AttemptRecord>(key: K) => records.map((record) => record[key] ?? null);
    return tx.query<RecordRow>(RECORD_ATTEMPTS_SQL, [
      column('attemptId'),
      column('deliveryId'),
      column('webhookId'),
      column('eventId'),
      column('eventName'),
      column('success'),
      column('statusCode'),
      records.map((record) => toStorableText(record.response)),
      records.map((record) => (record.error === null ? null : toStorableText(record.error))),
      column('durationMs'),
      column('status'),
      column('nextAttemptAt'),
      column('manual'),
      column('url'),
      FAILING_AFTER_ATTEMPTS,
      records.map((record) => record.request.url),
      records.map((record) => JSON.stringify(record.request.headers)),
      records.map((record) => (record.request.body === null ? null : toStorableText(record.request.body))),
    ]);
  }

  /**
   * Switches the webhook off as the lifecycle decided (`failingSince`: the streak the decision saw),
   * once: then this delivery has failed (delivery.exhausted), the webhook's other deliveries are
   * dropped, and webhook.disabled goes to the outbox, in one transaction. Returns true when it
   * disabled it now.
   */
  async disableWebhook(
    record: Pick<
      AttemptRecord,
      'webhookId' | 'deliveryId' | 'statusCode' | 'error' | 'response' | 'ownerCaused'
    >,
    reason: DisabledReason,
    failingSince: Date | null,
  ): Promise<boolean> {
    const disabled = await this.dataSource.transaction(async (manager) => {
      // Dropping the backlog takes as long as it is large: were it cut off, the webhook would
      // never be disabled.
      await liftStatementTimeout(manager, this.lockTimeoutMs);
      const [disabled] = await manager.query<StoredWebhookEventSource[]>(DISABLE_WEBHOOK_SQL, [
        record.webhookId,
        reason,
        reason === 'gone' ? null : failingSince,
      ]);
      if (!disabled) return undefined;
      const { storedHeaders, ...webhook } = disabled;
      const failed = await manager.query<Array<{ id: string }>>(FAIL_DELIVERY_SQL, [record.deliveryId]);
      await manager.query(DROP_OTHER_DELIVERIES_SQL, [record.webhookId]);
      // Its last attempt was recorded pending; it is failed now, so delivery.exhausted goes with it.
      await recordExhausted(
        rowsOf(manager),
        failed.map((row) => row.id),
      );
      const lastDelivery = lastDeliveryOf({
        success: false,
        statusCode: record.statusCode,
        response: toStorableText(record.response),
        error: record.error === null ? null : toStorableText(record.error),
        at: new Date(),
      });
      // Whenever the system disables a webhook it says so (README → Lifecycle events). Caused by its
      // owner (a ping answered 410, say), its deliveries count against their budget, never refused,
      // once the row locks are let go (README → API → Rate limits).
      const owed = record.ownerCaused
        ? await this.charges.cost(rowsOf(manager), { name: 'webhook.disabled', ownerId: webhook.ownerId })
        : 0;
      // The event shows the names as GET does (reserved ones stored before included); the values
      // are opened for nothing else.
      const headers = storedHeaders === null ? null : openHeaders(this.secretBox, storedHeaders);
      await recordWebhookEvent(
        manager,
        'webhook.disabled',
        { ...webhook, headers, lastDelivery },
        SYSTEM_USER,
      );
      return { ownerId: webhook.ownerId, owed };
    });
    if (!disabled) return false;
    await this.charges.record(disabled.ownerId, disabled.owed);
    return true;
  }
}

function cached<T>(cache: Map<string, T>, stored: string, open: () => T): T {
  let value = cache.get(stored);
  if (value === undefined) {
    value = open();
    if (cache.size >= OPENED_CACHE_SIZE) cache.clear();
    cache.set(stored, value);
  }
  return value;
}
