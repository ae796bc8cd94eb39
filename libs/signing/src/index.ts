export * from './secrets';
export * from './signature';
export * from './secret-box';
