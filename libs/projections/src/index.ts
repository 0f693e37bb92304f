export * from './views';
export * from './projection';
export * from './projection-runner';
export * from './batches';
export * from './course-fold-projection';
export * from './read-models';
export * from './read-model-database';
export * from './course-log-head';
