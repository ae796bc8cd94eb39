export * from './outbox';
export * from './outbox-relay-loop';
export * from './webhook-events';
