/**
 * Where a projection runner writes: one projection's rows and its checkpoint
 * in one database, committed together. An adapter per database: SQLite here
 * (a Projection on the read-model file), PostgreSQL in postgres/.
 */
import type { RecordedEvent, SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { Projection } from './projection';
import { migrateCheckpoints } from './projection-runner';

export interface ProjectionTarget {
  readonly name: string;
  /** Its events must reach it with `phi` opened (privacy.md: PHI only where a view shows it). */
  readonly readsPhi?: boolean;
  /** Position of the last applied event, undefined before the first. */
  checkpoint(): Promise<bigint | undefined>;
  /** The same, read at once, where the database allows a synchronous read (SQLite). */
  storedCheckpoint?(): bigint | undefined;
  /** Applies the events and moves the checkpoint to `position`, in one transaction. */
  commit(events: RecordedEvent[], position: bigint): Promise<void>;
  /** Deletes every row and the checkpoint (a rebuild replays the log after this). */
  reset(): Promise<void>;
  /** A commit failed: forget anything kept in memory from it. */
  discardUncommitted?(): void;
}

/** A Projection on a SQLite database, with its checkpoint in projection_checkpoints. */
export function sqliteProjectionTarget(
  db: SqliteDatabase,
  projection: Projection,
): ProjectionTarget {
  migrateCheckpoints(db);
  projection.migrate(db);
  let read: SqliteStatement | undefined;
  let write: SqliteStatement | undefined;
  const stored = (): bigint | undefined => {
    read ??= db.prepare('SELECT position FROM projection_checkpoints WHERE name = ?');
    const row = read.get(projection.name) as { position: string } | undefined;
    return row ? BigInt(row.position) : undefined;
  };
  return {
    name: projection.name,
    readsPhi: projection.readsPhi,
    storedCheckpoint: stored,
    checkpoint: () => Promise.resolve(stored()),
    commit(events, position) {
      db.transaction(() => {
        projection.apply(db, events);
        write ??= db.prepare(
          `INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
        );
        write.run(projection.name, position.toString(), new Date().toISOString());
      })();
      return Promise.resolve();
    },
    reset() {
      db.transaction(() => {
        projection.reset(db);
        db.prepare('DELETE FROM projection_checkpoints WHERE name = ?').run(projection.name);
      })();
      return Promise.resolve();
    },
    discardUncommitted: () => projection.discardUncommitted?.(),
  };
}
