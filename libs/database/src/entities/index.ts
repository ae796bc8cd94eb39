import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { DeliveryEntity } from './delivery.entity';
import { EventEntity } from './event.entity';
import { OutboxEventEntity } from './outbox-event.entity';
import { WebhookEntity } from './webhook.entity';

export * from './delivery-attempt.entity';
export * from './delivery.entity';
export * from './event.entity';
export * from './outbox-event.entity';
export * from './webhook.entity';

export const ENTITIES = [
  WebhookEntity,
  EventEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
  OutboxEventEntity,
];
