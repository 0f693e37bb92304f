/**
 * A projection builds one read model from the course events of the global log.
 * Its rows and its checkpoint are written in one transaction by the runner, so
 * a crash never applies an event twice or skips one.
 */
import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '@ipt/event-store';

export interface Projection {
  readonly name: string;
  /** Creates its tables when missing. */
  migrate(db: Database): void;
  /** Deletes all its rows (a rebuild replays the log after this). */
  reset(db: Database): void;
  /** Applies events in log order; called inside the runner's transaction. */
  apply(db: Database, events: RecordedEvent[]): void;
  /** The runner's transaction failed: forget anything kept in memory from `apply`. */
  discardUncommitted?(): void;
}
