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
  /** Deletes all its rows (a rebuild replays the log after this). */
  reset(db: SqliteDatabase): void;
  /** Applies events in log order; called inside the runner's transaction. */
  apply(db: SqliteDatabase, events: RecordedEvent[]): void;
  /**
   * True when a view built by it shows PHI (privacy.md): the runner opens each
   * event's `phi` with the course key before `apply`. Any other projection
   * gets `phi` still sealed and must not read it.
   */
  readonly readsPhi?: boolean;
  /** The runner's transaction failed: forget anything kept in memory from `apply`. */
  discardUncommitted?(): void;
}
