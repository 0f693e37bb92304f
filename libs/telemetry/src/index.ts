export * from './tracing';
export * from './sdk';
