import { WebhookEntity } from './webhook.entity';

export * from './webhook.entity';

export const ENTITIES = [WebhookEntity];
