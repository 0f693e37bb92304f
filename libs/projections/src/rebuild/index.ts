export * from './rebuild-requests';
export * from './shadow-rebuild';
