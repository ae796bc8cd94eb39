export * from './address-policy';
export * from './url-target';
export * from './webhook-url';
export * from './url-mask';
