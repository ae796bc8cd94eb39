export * from './action-budget';
export * from './window-budget';
