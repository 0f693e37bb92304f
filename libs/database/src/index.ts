export * from './pool';
export * from './migrations';
export * from './shared-database';
export * from './advisory-lease';
