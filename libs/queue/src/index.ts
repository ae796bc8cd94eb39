export * from './delivery-queue';
export * from './queues';
