export * from './catalog';
export * from './envelope';
export * from './event-publisher';
export * from './outbox';
export * from './webhook-events';
export * from './outbox-relay-loop';
