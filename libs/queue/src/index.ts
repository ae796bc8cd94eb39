export * from './delivery-queue';
export * from './queues';
export * from './queue-timeout';
