export * from './outbox';
export * from './outbox-relay';
export * from './webhook-events';
export * from './operational-events';
