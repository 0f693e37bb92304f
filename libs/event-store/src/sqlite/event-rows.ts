/** The events table: its schema, its row and the row's mapping to a recorded event. */
import type { RecordedEvent } from '../event-store.port';
import type { SqliteDatabase } from './driver';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  event_id  TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  created   INTEGER NOT NULL
);
-- serves stream reads and the stream-head lookup (last revision)
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream_id, revision);
-- serves idempotent re-appends and keeps ids unique store-wide
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (event_id);
`;

export interface EventRow {
  position: bigint;
  stream_id: string;
  revision: bigint;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  created: bigint;
}

export const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, created';

export function migrate(db: SqliteDatabase): void {
  const version = db.pragma('user_version', { simple: true }) as number | bigint;
  if (Number(version) > SCHEMA_VERSION) {
    throw new Error(
      `event store schema ${version} is newer than this code understands (${SCHEMA_VERSION})`,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: row.position,
    eventId: row.event_id,
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    created: new Date(Number(row.created)),
  };
}
