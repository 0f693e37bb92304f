/** Pure read-model folds: shared by the projections and the audit "state as of" route. */
export * from './recording';
export * from './course-completion';
export * from './course-outcomes';
export * from './clinic-summary';
export * from './engagement';
export * from './course-view';
export * from './course-as-of';
