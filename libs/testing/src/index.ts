export * from './http-receiver';
export * from './test-database';
export * from './tokens';
export * from './processes';
export * from './test-redis';
export * from './connect-proxy';
