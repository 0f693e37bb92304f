/**
 * Group commit. The driver is synchronous, so appends issued in the same turn
 * of the event loop are queued and committed together in one transaction: a
 * command is answered only once its COMMIT is durable, yet concurrent commands
 * share one fsync.
 *
 * With `sync` (the file store in WAL mode, synchronous=NORMAL), COMMIT only
 * writes the WAL, and `sync` fsyncs it on libuv's thread pool: the event loop
 * goes on reading requests meanwhile, and whatever arrives while an fsync is
 * in flight is committed together right after it, then made durable by the
 * next one (group commit sized by what is waiting). Appends are answered, and
 * subscribers told, only after their fsync. Without `sync`, COMMIT itself
 * fsyncs (synchronous=FULL) on the event loop's thread.
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
  /** Called after a commit that wrote or confirmed at least one append (once durable). */
  onCommitted(): void;
  /** Makes what has been committed durable, off the event loop's thread (fsync of the WAL). */
  sync?: (done: (error?: Error | null) => void) => void;
  /** Told the first log position of commits not yet durable (undefined once all are). */
  onUnsynced?(from: bigint | undefined): void;
}

interface CommittedBatch {
  batch: PendingAppend[];
  outcomes: Outcome[];
}

export class GroupCommit {
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private syncing = false;
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

  /** Resolves when every queued append has been committed (and made durable). */
  async drain(): Promise<void> {
    if (this.queue.length > 0 || this.flushScheduled || this.syncing) {
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
    // An fsync is in flight: what waits is committed when it returns.
    if (this.syncing) return;
    if (!this.options.sync) {
      const batch = this.queue.splice(0, this.options.maxAppendsPerCommit);
      if (this.queue.length > 0) this.scheduleFlush();
      if (batch.length > 0) {
        const committed = this.commitBatch(batch);
        if (committed) this.settle([committed]);
      }
      this.idleCheck();
      return;
    }
    // Everything waiting, in transactions of at most maxAppendsPerCommit, then one fsync for all.
    const committed: CommittedBatch[] = [];
    let unsyncedFrom: bigint | undefined;
    while (this.queue.length > 0) {
      const done = this.commitBatch(this.queue.splice(0, this.options.maxAppendsPerCommit));
      if (!done) continue;
      committed.push(done);
      const from = firstPosition(done);
      if (from !== undefined && (unsyncedFrom === undefined || from < unsyncedFrom))
        unsyncedFrom = from;
    }
    if (committed.length === 0) {
      this.idleCheck();
      return;
    }
    this.syncing = true;
    this.options.onUnsynced?.(unsyncedFrom);
    this.options.sync((error) => {
      this.syncing = false;
      this.options.onUnsynced?.(undefined);
      if (error) {
        // Committed, but not known to be on disk: the appends are not acknowledged.
        const unavailable = new StoreUnavailableError('the event store could not sync to disk', {
          cause: error,
        });
        for (const { batch } of committed) for (const append of batch) append.reject(unavailable);
      } else {
        this.settle(committed);
      }
      if (this.queue.length > 0) this.scheduleFlush();
      else this.idleCheck();
    });
  }

  private idleCheck(): void {
    if (this.queue.length === 0 && !this.syncing && !this.flushScheduled && this.flushDone) {
      const done = this.flushDone;
      this.flushDone = undefined;
      done();
    }
  }

  /** One transaction; undefined when it failed as a whole (its appends are rejected already). */
  private commitBatch(batch: PendingAppend[]): CommittedBatch | undefined {
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
      return undefined;
    }
    return { batch, outcomes };
  }

  private settle(committed: CommittedBatch[]): void {
    let any = false;
    for (const { batch, outcomes } of committed) {
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i];
        if (outcome.ok) {
          any = true;
          batch[i].resolve(outcome.result);
        } else batch[i].reject(outcome.error);
      }
    }
    if (any) this.options.onCommitted();
  }
}

/** The first log position a committed batch wrote, if it wrote any. */
function firstPosition({ batch, outcomes }: CommittedBatch): bigint | undefined {
  let first: bigint | undefined;
  for (let i = 0; i < batch.length; i++) {
    const outcome = outcomes[i];
    if (!outcome.ok || batch[i].events.length === 0) continue;
    const from = outcome.result.position - BigInt(batch[i].events.length - 1);
    if (first === undefined || from < first) first = from;
  }
  return first;
}
