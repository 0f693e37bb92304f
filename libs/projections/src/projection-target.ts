/**
 * Where a projection runner writes: one projection's rows and its checkpoint
 * in one database, committed together. An adapter per database: SQLite here
 * (a Projection on the read-model file), PostgreSQL in postgres/.
 */
import type { RecordedEvent, SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { Projection } from './projection';
import { migrateCheckpoints } from './projection-runner';
import {
  RebuildRequests,
  sqliteRebuildRequestStore,
  type RebuildProgress,
  type RebuildRequestStore,
} from './rebuild/rebuild-requests';

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
  /** A commit failed, or a switch-over replaced the tables: forget anything kept in memory. */
  discardUncommitted?(): void;
  /** Rebuilds without an outage (rebuild/); absent: the projection cannot be rebuilt beside itself. */
  readonly rebuilds?: TargetRebuilds;
}

/** The current copy: where its checkpoint is and how many course events it holds (null: not counted). */
export interface LiveCopy {
  at: bigint | undefined;
  events: number | null;
}

/**
 * The storage seam of a rebuild without an outage at the target's level
 * (decisions, "Rebuilds without an outage"): each call is one bounded
 * transaction of the target's database, so a rebuild yields between calls.
 */
export interface TargetRebuilds {
  readonly requests: RebuildRequestStore;
  live(): Promise<LiveCopy>;
  /** Frees up to `maxRows` rows of copies no one reads; true when none is left. */
  dropUnused(maxRows: number): Promise<boolean>;
  /** An empty shadow copy beside the current one (`tag` unique per rebuild). */
  createShadow(tag: string): Promise<ShadowTarget>;
}

export interface ShadowTarget {
  /** Folds events (log order) into the shadow, in one transaction. */
  apply(events: RecordedEvent[]): Promise<void>;
  /** Writes up to `maxRows` rows kept in memory, in one transaction; true when none is left. */
  flush(maxRows: number): Promise<boolean>;
  /**
   * One transaction: unless the current copy has gone past `position`, the
   * shadow takes its place, the checkpoint moves to `position` (with `events`
   * counted) and `done` is saved as the rebuild's progress. False, and nothing
   * changed, when the current copy is ahead (the replay goes on).
   */
  switchOver(position: bigint | undefined, events: number, done: RebuildProgress): Promise<boolean>;
  /**
   * Resolves once no write of this shadow is in flight (a target may write
   * while the next events are folded). A rebuild that stops or fails waits for
   * it, so that nothing of it is written after, e.g. into the next rebuild's shadow.
   */
  idle?(): Promise<void>;
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
  const stored = (): LiveCopy => {
    read ??= db.prepare('SELECT position, events FROM projection_checkpoints WHERE name = ?');
    const row = read.get(projection.name) as
      { position: string; events: number | null } | undefined;
    return row ? { at: BigInt(row.position), events: row.events } : { at: undefined, events: 0 };
  };
  const target: ProjectionTarget = {
    name: projection.name,
    readsPhi: projection.readsPhi,
    storedCheckpoint: () => stored().at,
    checkpoint: () => Promise.resolve(stored().at),
    commit(events, position) {
      db.transaction(() => {
        projection.apply(db, events);
        // The events of the current copy are counted (a rebuild's total); a copy
        // written before they were counted stays uncounted (null) until rebuilt.
        write ??= db.prepare(
          `INSERT INTO projection_checkpoints (name, position, updated_at, events) VALUES (?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at,
             events = projection_checkpoints.events + excluded.events`,
        );
        write.run(projection.name, position.toString(), new Date().toISOString(), events.length);
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
  const copies = projection.copies;
  if (!copies) return target;
  const requests = new RebuildRequests(db);
  const rebuilds: TargetRebuilds = {
    requests: sqliteRebuildRequestStore(requests),
    live: () => Promise.resolve(stored()),
    dropUnused: (maxRows) =>
      Promise.resolve(db.transaction(() => copies.dropUnused(db, maxRows))()),
    createShadow(tag) {
      const shadow = db.transaction(() => copies.createShadow(db, tag))();
      return Promise.resolve({
        apply: (events) => Promise.resolve(db.transaction(() => shadow.apply(db, events))()),
        flush: (maxRows) => Promise.resolve(db.transaction(() => shadow.flush(db, maxRows))()),
        switchOver(position, events, done) {
          const switched = db.transaction(() => {
            const live = stored().at;
            if (live !== undefined && (position === undefined || position < live)) return false;
            shadow.promote(db);
            if (position === undefined) {
              db.prepare('DELETE FROM projection_checkpoints WHERE name = ?').run(projection.name);
            } else {
              db.prepare(
                `INSERT INTO projection_checkpoints (name, position, updated_at, events) VALUES (?, ?, ?, ?)
                 ON CONFLICT(name) DO UPDATE SET position = excluded.position,
                   updated_at = excluded.updated_at, events = excluded.events`,
              ).run(projection.name, position.toString(), new Date().toISOString(), events);
            }
            requests.save(done);
            return true;
          })();
          // The live projection's cached rows belong to the former copy.
          if (switched) projection.discardUncommitted?.();
          return Promise.resolve(switched);
        },
      });
    },
  };
  return { ...target, rebuilds };
}
