export * from './secrets';
export * from './signature';
export * from './secret-box';
export * from './ed25519';
export * from './reserved-headers';
