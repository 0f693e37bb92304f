/**
 * The service's own SQLite file in DATA_DIR: read models and projection
 * checkpoints (and the API's idempotency records). Everything in it can be
 * rebuilt from the event log except the idempotency records of keys reused
 * across courses. API and projector may share it (WAL allows one writer at a
 * time and readers beside it).
 */
import * as path from 'node:path';
import { openSqlite, type SqliteDatabase } from '@ipt/event-store';

export function openReadModelDatabase(dataDir: string): SqliteDatabase {
  // PHI (course views): openSqlite makes the file owner-only, -wal and -shm included.
  const db = openSqlite(path.join(dataDir, 'read-models.sqlite'));
  // privacy.md: an erased patientRef must not linger in free pages or freed cells.
  db.pragma('secure_delete = ON');
  db.pragma('journal_mode = WAL');
  // Rows and checkpoints commit together, so a lost tail is replayed from the log.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536'); // 64 MiB: read-model rows of many courses stay in memory
  return db;
}
