import { ConflictException, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WebhookEntity } from '@app/database';
import { UUID_PATTERN } from '@app/text';
import { Principal } from '../auth/principal';

/** Path ids are UUIDs; anything else is simply a resource that does not exist (and never reaches SQL). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

function webhookNotFound(): NotFoundException {
  return new NotFoundException('Webhook not found');
}

/**
 * The caller's webhook, or 404 'Webhook not found' for an unknown, foreign or malformed id alike
 * (no existence oracle). `lock` takes a row lock for the rest of the caller's transaction.
 */
export async function findOwnedWebhook(
  manager: EntityManager,
  principal: Principal,
  id: string,
  lock = false,
): Promise<WebhookEntity> {
  if (!isUuid(id)) throw webhookNotFound();
  const webhook = await manager.findOne(WebhookEntity, {
    where: { id, ownerId: principal.id },
    ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (!webhook) throw webhookNotFound();
  return webhook;
}

/**
 * Deliveries to inactive webhooks are dropped (README → Delivery): a ping or redelivery would vanish
 * silently.
 */
export function assertWebhookActive(webhook: WebhookEntity, action: 'ping' | 'redeliver' | 'recover'): void {
  if (!webhook.active) throw new ConflictException(`Webhook is inactive: activate it to ${action}`);
}
