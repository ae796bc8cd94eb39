export * from './catalog';
export * from './envelope';
export * from './event-publisher';
export * from './schemas';
