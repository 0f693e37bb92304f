/**
 * Chooses the adapter from configuration: EventStoreDB when a connection
 * string is given, else the embedded SQLite store in the data folder.
 */
import * as path from 'node:path';
import { ensurePrivateDir } from '@ipt/config';
import type { EventStore } from './event-store.port';
import { EsdbEventStore } from './esdb';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

export interface EventStoreLocation {
  dataDir: string;
  eventStoreConnectionString?: string;
  /**
   * True in a worker process (projector, relay) that reads the embedded store
   * while the API writes it: look for the other process's commits often.
   */
  readsAnotherProcess?: boolean;
}

export function openEventStore(location: EventStoreLocation): EventStore {
  if (location.eventStoreConnectionString)
    return EsdbEventStore.fromConnectionString(location.eventStoreConnectionString);
  ensurePrivateDir(location.dataDir);
  return new SqliteEventStore(
    path.join(location.dataDir, 'events.sqlite'),
    location.readsAnotherProcess ? { subscriptionPollMs: 100 } : {},
  );
}
