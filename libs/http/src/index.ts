export * from './hardened-server';
export * from './server-limits';
export * from './unread-body';
