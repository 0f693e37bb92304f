/**
 * Chooses the event-store adapter: EventStoreDB when
 * EVENTSTORE_CONNECTION_STRING is set, else the embedded SQLite store in
 * DATA_DIR. Nothing else in the app knows which one runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppConfig } from '@ipt/config';
import { EsdbEventStore, SqliteEventStore, type EventStore } from '@ipt/event-store';

export function openEventStore(config: AppConfig): EventStore {
  if (config.eventStoreConnectionString)
    return EsdbEventStore.fromConnectionString(config.eventStoreConnectionString);
  fs.mkdirSync(config.dataDir, { recursive: true });
  return new SqliteEventStore(path.join(config.dataDir, 'events.sqlite'));
}
