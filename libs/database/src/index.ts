export * from './data-source-options';
export * from './database.module';
export * from './entities';
export * from './migrations';
export * from './prepare-database';
export * from './last-delivery';
export * from './storable-text';
export * from './prepared-statements';
