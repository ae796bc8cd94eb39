import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { DeliveryEntity } from './delivery.entity';
import { EventEntity } from './event.entity';
import { OutboxEventEntity } from './outbox-event.entity';
import { PortalLinkEntity } from './portal-link.entity';
import { PortalSessionEntity } from './portal-session.entity';
import { WebhookEntity } from './webhook.entity';

export * from './delivery-attempt.entity';
export * from './delivery.entity';
export * from './event.entity';
export * from './outbox-event.entity';
export * from './portal-link.entity';
export * from './portal-session.entity';
export * from './webhook.entity';

export const ENTITIES = [
  WebhookEntity,
  EventEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
  OutboxEventEntity,
  PortalLinkEntity,
  PortalSessionEntity,
];
