/**
 * A projection builds one read model from the course events of the global log.
 * Its rows and its checkpoint are written in one transaction by the runner, so
 * a crash never applies an event twice or skips one.
 */
import type { RecordedEvent, SqliteDatabase } from '@ipt/event-store';

export interface Projection {
  readonly name: string;
  /** Creates its tables when missing. */
  migrate(db: SqliteDatabase): void;
  /** Deletes all its rows. */
  reset(db: SqliteDatabase): void;
  /** Applies events in log order; called inside the runner's transaction. */
  apply(db: SqliteDatabase, events: RecordedEvent[]): void;
  /**
   * True when a view built by it shows PHI (privacy.md): the runner opens each
   * event's `phi` with the course key before `apply`. Any other projection
   * gets `phi` still sealed and must not read it.
   */
  readonly readsPhi?: boolean;
  /**
   * Forget anything kept in memory from `apply`: the runner's transaction
   * failed, or a rebuild's switch-over replaced the tables under it.
   */
  discardUncommitted?(): void;
  /** How it is rebuilt beside itself; absent: the projection cannot be rebuilt without an outage. */
  readonly copies?: ProjectionCopies;
}

/**
 * The read-model storage seam of a rebuild without an outage (decision in
 * docs/decisions.md, "Rebuilds without an outage"). A rebuild replays the log
 * into a shadow copy of the projection's tables while the current copy keeps
 * answering, then, in the one transaction that also moves the checkpoint,
 * puts the shadow in the current copy's place; the former copy is retired and
 * freed afterwards, a slice at a time.
 *
 * Every method does a bounded amount of work (`maxRows`), so a caller can
 * yield to the event loop between calls. The SQLite adapter renames tables
 * (ALTER TABLE … RENAME, transactional); a PostgreSQL adapter implements the
 * same operations with its own transactional DDL (ALTER TABLE … RENAME, or a
 * schema per copy) and batched writes, and the runner's sequence stays the same.
 */
export interface ProjectionCopies {
  /**
   * Frees up to `maxRows` rows of copies no one reads (one a switch-over
   * retired, a shadow an interrupted rebuild left). True when none is left.
   */
  dropUnused(db: SqliteDatabase, maxRows: number): boolean;
  /**
   * Makes an empty shadow copy beside the current one. `tag` is unique per
   * rebuild (it names the shadow's indexes). Call `dropUnused` until it
   * answers true first.
   */
  createShadow(db: SqliteDatabase, tag: string): ShadowCopy;
}

export interface ShadowCopy {
  /**
   * Folds events (log order) into the shadow; inside a transaction. Rows may
   * stay in memory, within a fixed bound, until `flush` or until evicted: no
   * one reads the shadow before the switch-over.
   */
  apply(db: SqliteDatabase, events: RecordedEvent[]): void;
  /** Writes up to `maxRows` of the rows still in memory; inside a transaction. True when none is left. */
  flush(db: SqliteDatabase, maxRows: number): boolean;
  /** Inside the switch-over transaction, everything flushed: the shadow becomes the current copy. */
  promote(db: SqliteDatabase): void;
}
