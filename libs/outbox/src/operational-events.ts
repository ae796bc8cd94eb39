import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@app/events';
import { maskUrl, maskUrlsInText } from '@app/netguard';
import { SYSTEM_USER, webhookResource, WebhookEventSource } from './webhook-events';

/*
 * Operational events (README → Operational events): the service telling a webhook's owner how their
 * endpoints fare. Written to the outbox in the transaction of the state change that causes them,
 * addressed to the owner (`ownerId`), and as secret-free as the lifecycle events.
 */

/** Anything that runs a parameterised statement: a TypeORM EntityManager or a PreparedTransaction. */
export interface OutboxQueryable {
  query(text: string, values: unknown[]): Promise<unknown>;
}

export type WebhookOperationalEvent =
  'webhook.failing' | 'webhook.recovered' | 'webhook.paused' | 'webhook.resumed';

/** What webhook.failing and webhook.recovered add to the webhook resource. */
export interface FailureDetails {
  consecutiveFailures?: number;
  failingSince?: Date | null;
}

type OutboxEnvelope = EventEnvelope & { id: string; timestamp: string };

export function webhookOperationalEnvelope(
  name: WebhookOperationalEvent,
  webhook: WebhookEventSource,
  details: FailureDetails = {},
  id: string = randomUUID(),
): OutboxEnvelope {
  const resource: Record<string, unknown> = webhookResource(webhook);
  if (details.consecutiveFailures !== undefined) resource.consecutiveFailures = details.consecutiveFailures;
  if (details.failingSince) resource.failingSince = details.failingSince.toISOString();
  return {
    id,
    name,
    timestamp: new Date().toISOString(),
    user: SYSTEM_USER,
    resourceType: 'Webhook',
    resource,
    ownerId: webhook.ownerId,
  };
}

/** A delivery that ended failed, with what its event shows of the webhook and the last attempt. */
export interface ExhaustedDeliverySource {
  deliveryId: string;
  webhookId: string;
  /** The webhook's URL as stored: masked here. */
  url: string;
  ownerId: string;
  eventId: string;
  eventName: string;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  lastAttempt: { statusCode: number | null; response: string; error: string | null; at: Date } | null;
}

/** The `Delivery` resource of delivery.exhausted: the URL masked, also where the receiver echoed it. */
export function exhaustedDeliveryResource(delivery: ExhaustedDeliverySource) {
  const last = delivery.lastAttempt;
  return {
    id: delivery.deliveryId,
    status: 'failed' as const,
    attempts: delivery.attempts,
    webhook: { id: delivery.webhookId, url: maskUrl(delivery.url) },
    event: { id: delivery.eventId, name: delivery.eventName },
    lastAttempt: last && {
      statusCode: last.statusCode,
      response: maskUrlsInText(last.response, delivery.url),
      error: last.error === null ? null : maskUrlsInText(last.error, delivery.url),
      timestamp: last.at.toISOString(),
    },
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}

export function deliveryExhaustedEnvelope(
  delivery: ExhaustedDeliverySource,
  id: string = randomUUID(),
): OutboxEnvelope {
  return {
    id,
    name: 'delivery.exhausted',
    timestamp: new Date().toISOString(),
    user: SYSTEM_USER,
    resourceType: 'Delivery',
    resource: exhaustedDeliveryResource(delivery),
    ownerId: delivery.ownerId,
  };
}

/** Writes envelopes into the outbox inside the caller's transaction, in one statement. */
export async function recordOutboxEnvelopes(
  db: OutboxQueryable,
  envelopes: readonly OutboxEnvelope[],
): Promise<void> {
  if (envelopes.length === 0) return;
  await db.query(`INSERT INTO event_outbox (id, envelope) SELECT * FROM unnest($1::uuid[], $2::jsonb[])`, [
    envelopes.map((envelope) => envelope.id),
    envelopes.map((envelope) => JSON.stringify(envelope)),
  ]);
}
