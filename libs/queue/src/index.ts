export * from './delivery-queue';
export * from './queues';
export * from './typed-queue';
export * from './queue-timeout';
export * from './redis-options';
export * from './redis-reachability';
