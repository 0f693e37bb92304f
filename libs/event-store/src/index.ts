export * from './event-store.port';
export { SqliteEventStore, DuplicateEventIdError } from './sqlite/sqlite-event-store';
export type { SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
export * from './sqlite/driver';
export * from './esdb';
export * from './open-event-store';
export { newEventId } from './event-ids';
