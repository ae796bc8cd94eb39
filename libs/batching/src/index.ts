export * from './batcher';
export * from './periodic-task';
