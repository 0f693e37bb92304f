/**
 * Group commit. The driver is synchronous, so appends issued in the same turn
 * of the event loop are queued and committed together in one transaction: a
 * command is answered only after COMMIT with `synchronous=FULL`, yet
 * concurrent commands share one fsync.
 */
import { AppendResult, StoreUnavailableError } from '../event-store.port';
import type { Outcome, PreparedAppend } from './append-rules';
import type { SqliteDatabase, SqliteStatement } from './driver';

interface PendingAppend extends PreparedAppend {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** Most appends committed in one transaction. */
  maxAppendsPerCommit: number;
  /** Decides and writes one append inside the open transaction. */
  apply(append: PreparedAppend, created: number): Outcome;
  /** Called after a commit that wrote or confirmed at least one append. */
  onCommitted(): void;
}

export class GroupCommit {
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private flushDone: (() => void) | undefined;
  private readonly stmt: {
    begin: SqliteStatement;
    commit: SqliteStatement;
    rollback: SqliteStatement;
  };

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: GroupCommitOptions,
  ) {
    this.stmt = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
  }

  /** Resolves once the append's transaction has committed (or rejects with why not). */
  enqueue(append: PreparedAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...append, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Resolves when every queued append has been committed. */
  async drain(): Promise<void> {
    if (this.queue.length > 0 || this.flushScheduled) {
      await new Promise<void>((resolve) => (this.flushDone = resolve));
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate (not a microtask): requests read in the same I/O phase join one commit.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, this.options.maxAppendsPerCommit);
    if (this.queue.length > 0) this.scheduleFlush();
    if (batch.length > 0) this.commitBatch(batch);
    if (this.queue.length === 0 && this.flushDone) this.flushDone();
  }

  private commitBatch(batch: PendingAppend[]): void {
    const outcomes: Outcome[] = [];
    try {
      this.stmt.begin.run();
      const created = Date.now();
      for (const append of batch) outcomes.push(this.options.apply(append, created));
      this.stmt.commit.run();
    } catch (error) {
      // The transaction as a whole failed (disk full, I/O error, lock timeout): nothing is durable.
      if (this.db.inTransaction) {
        try {
          this.stmt.rollback.run();
        } catch {
          // the connection is already unusable; the error below says why
        }
      }
      const unavailable = new StoreUnavailableError('the event store could not commit', {
        cause: error,
      });
      for (const append of batch) append.reject(unavailable);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      if (outcome.ok) batch[i].resolve(outcome.result);
      else batch[i].reject(outcome.error);
    }
    if (outcomes.some((o) => o.ok)) this.options.onCommitted();
  }
}
