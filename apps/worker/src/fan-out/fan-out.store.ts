import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PreparedStatements } from '@app/database';
import { EventEnvelope, SERVICE_EVENT_NAMES } from '@app/events';
import { SYSTEM_USER } from '@app/outbox';
import type { DeliveryToSend } from '@app/queue';
import { UUID_PATTERN } from '@app/text';
import { FAN_OUT_SQL } from './fan-out.sql';
import { matchBody } from './match-body';

export interface EventToFanOut {
  eventId: string;
  envelope: EventEnvelope;
  /** The exact JSON that is delivered and signed. */
  body: string;
  /** The event's timestamp (ISO 8601): a fifo webhook's publish order (README → Ordered delivery). */
  timestamp: string;
}

/**
 * `pending`: this event's deliveries still to send; `duplicate`: the id stood for other content;
 * `erased`: the id's event was erased (README → API → Erasure), so nothing is delivered.
 */
export type FanOutResult =
  | { kind: 'recorded'; pending: DeliveryToSend[]; queuedWebhooks: string[] }
  | { kind: 'duplicate' }
  | { kind: 'erased' };

/**
 * What makes an event the same event: everything the publisher said but the timestamp (a retried
 * publish that let the timestamp default is still the same event).
 */
function eventFingerprint(envelope: EventEnvelope): string {
  const { name, user, resourceType, resource, apiId, ownerId } = envelope;
  return createHash('sha256')
    .update(JSON.stringify([name, user, resourceType, resource, apiId ?? null, ownerId ?? null]))
    .digest('base64');
}

/**
 * What events.user_id keeps (README → API → Erasure): the envelope's `user.id` where it is not its
 * `ownerId` (someone acted for the owner: an organization's member, a publisher). An event the owner
 * caused is found by its owner_id already, so it takes no entry in IDX_events_user, which stays as
 * small as what only it can find. The service's own events (an auto-disable, an operational event)
 * name SYSTEM_USER as who acted: no user did, so none is kept, and erasing a user whose id happens
 * to be `system` erases none of them.
 */
export function actorOtherThanOwner(
  envelope: Pick<EventEnvelope, 'name' | 'user' | 'ownerId'>,
): string | null {
  if (envelope.user.id === envelope.ownerId) return null;
  if (envelope.user.id === SYSTEM_USER.id && SERVICE_EVENT_NAMES.includes(envelope.name)) return null;
  return envelope.user.id;
}

/** Fan-out's SQL: the event rows and one delivery row per matching webhook, before any enqueue. */
@Injectable()
export class FanOutStore {
  private readonly sql: PreparedStatements;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.sql = new PreparedStatements(dataSource);
  }

  /**
   * Records a batch of events and their deliveries in one statement. Per event: the ids of its
   * deliveries still pending (all of them on a first run; on a re-run, those not yet done), or
   * `duplicate` when the id was recorded before with other content (README → Publishing events).
   */
  async recordDeliveries(events: readonly EventToFanOut[]): Promise<FanOutResult[]> {
    // One row per id: a second copy of an id in the same batch shares the first one's outcome.
    const distinct = new Map<string, { event: EventToFanOut; fingerprint: string }>();
    const fingerprints = events.map((event) => {
      const fingerprint = eventFingerprint(event.envelope);
      if (!distinct.has(event.eventId)) distinct.set(event.eventId, { event, fingerprint });
      return fingerprint;
    });
    let outcomes = await this.run([...distinct.values()]);
    // Another batch was inserting the same id at the same moment: it has committed by now.
    const raced = [...distinct.values()].filter(
      ({ event }) => outcomes.get(event.eventId)?.state === 'raced',
    );
    if (raced.length > 0) outcomes = new Map([...outcomes, ...(await this.run(raced))]);

    return events.map((event, index) => {
      const outcome = outcomes.get(event.eventId);
      if (!outcome) throw new Error(`fan-out returned no row for event ${event.eventId}`);
      const sameAsFirst = distinct.get(event.eventId)?.fingerprint === fingerprints[index];
      if (outcome.state === 'erased') return { kind: 'erased' };
      if (outcome.state === 'duplicate' || !sameAsFirst) return { kind: 'duplicate' };
      return { kind: 'recorded', pending: outcome.pending, queuedWebhooks: outcome.queuedWebhooks };
    });
  }

  private async run(
    rows: ReadonlyArray<{ event: EventToFanOut; fingerprint: string }>,
  ): Promise<Map<string, { state: EventState; pending: DeliveryToSend[]; queuedWebhooks: string[] }>> {
    const result = await this.sql.query<FanOutRow>(FAN_OUT_SQL, [
      rows.map(({ event }) => event.eventId),
      rows.map(({ event }) => event.envelope.name),
      rows.map(({ event }) => event.body),
      rows.map(({ fingerprint }) => fingerprint),
      // An apiId that is not a UUID cannot match any webhook (the column is uuid).
      rows.map(({ event }) =>
        event.envelope.apiId && UUID_PATTERN.test(event.envelope.apiId) ? event.envelope.apiId : null,
      ),
      rows.map(({ event }) => event.envelope.ownerId ?? null),
      rows.map(({ event }) => matchBody(event.body)),
      rows.map(({ event }) => event.timestamp),
      rows.map(({ event }) => actorOtherThanOwner(event.envelope)),
    ]);
    return new Map(
      result.map((row) => [
        row.id,
        {
          state: row.state,
          pending: row.pending.map((deliveryId, index) => ({
            deliveryId,
            webhookId: row.pendingWebhooks[index],
          })),
          queuedWebhooks: row.queuedWebhooks,
        },
      ]),
    );
  }
}

type EventState = 'new' | 'same' | 'duplicate' | 'erased' | 'raced';

interface FanOutRow {
  id: string;
  state: EventState;
  pending: string[];
  pendingWebhooks: string[];
  queuedWebhooks: string[];
}
