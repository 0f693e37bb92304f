/**
 * The embedded event store: one SQLite file, one table of events whose
 * autoincrement `position` is the global log. The parts live beside it:
 * group commit (group-commit.ts), the append rules (append-rules.ts), reads
 * (event-reads.ts), the catch-up subscription (catch-up-subscription.ts) and
 * the SQLite driver of this runtime (driver/).
 *
 * Imports stay relative (no `@ipt/...` aliases) so the durability test's child
 * process can load this file with a plain TypeScript transpile.
 */
import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreSubscription,
  StoreUnavailableError,
  SubscribeToAllOptions,
} from '../event-store.port';
import { AppendRules, prepareAppend } from './append-rules';
import {
  CatchUpSubscription,
  CommitSignal,
  type SubscriptionSource,
} from './catch-up-subscription';
import * as fs from 'node:fs';
import { openSqlite, type SqliteDatabase } from './driver';
import { EventReads, type SubscriptionPage } from './event-reads';
import { migrate } from './event-rows';
import { GroupCommit } from './group-commit';

export { DuplicateEventIdError } from './append-rules';

export interface SqliteEventStoreOptions {
  /** Most appends committed in one transaction. */
  maxAppendsPerCommit?: number;
  /** Events read per page by a catching-up subscription. */
  subscriptionPageSize?: number;
  /** How often a live subscription looks for events written by another process. */
  subscriptionPollMs?: number;
  /** How long a writer waits for another process's write lock. */
  busyTimeoutMs?: number;
  /**
   * Fsync the WAL on libuv's thread pool after each group commit (default),
   * instead of inside COMMIT on the event loop's thread (false: synchronous=FULL).
   */
  syncOffThread?: boolean;
}

/** The database's WAL file, open for fdatasync; undefined when there is none (in-memory). */
function openWal(filename: string): number | undefined {
  if (filename === '' || filename === ':memory:' || filename.startsWith('file:')) return undefined;
  try {
    return fs.openSync(`${filename}-wal`, 'r');
  } catch {
    return undefined;
  }
}

export class SqliteEventStore implements EventStore {
  private readonly db: SqliteDatabase;
  private readonly groupCommit: GroupCommit;
  private readonly reads: EventReads;
  private readonly commits = new CommitSignal();
  private readonly subscriptionSource: SubscriptionSource;
  private readonly subscriptionSettings: { pageSize: number; pollMs: number };
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closed = false;
  /** The WAL file, fsynced off the event loop after each group commit; undefined: COMMIT fsyncs. */
  private walFd: number | undefined;
  /** First position committed here but not yet durable: in-process subscribers read below it. */
  private unsyncedFrom: bigint | undefined;
  /**
   * The page last read for a subscription, handed to the others that ask for the same page
   * before the next commit: the live projections and the events tree all wake at one commit
   * and would each read and parse the same new events (issue 14). Kept for one turn of the
   * event loop at most, so a commit by another process is seen as before.
   */
  private sharedPage?: { key: string; page: SubscriptionPage };

  constructor(filename: string, options: SqliteEventStoreOptions = {}) {
    try {
      this.db = openSqlite(filename);
      this.db.pragma('journal_mode = WAL');
      // An answered command survives power loss: the WAL is fsynced before any append is
      // answered. NORMAL + our own fdatasync of the WAL on libuv's thread pool (group-commit.ts),
      // so the event loop is not blocked during the fsync; FULL (COMMIT fsyncs) where the WAL
      // file cannot be opened (an in-memory database).
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // 64 MiB of page cache (the default is 2 MiB): the random-UUID event_id index
      // must stay in memory for appends to cost the same at 1 M events as at 10 k.
      this.db.pragma('cache_size = -65536');
      migrate(this.db);
      // The migration's writes have created the WAL file by now.
      this.walFd = options.syncOffThread === false ? undefined : openWal(filename);
      if (this.walFd !== undefined) this.db.pragma('synchronous = NORMAL');
    } catch (error) {
      throw new StoreUnavailableError(`cannot open the event store at ${filename}`, {
        cause: error,
      });
    }
    const rules = new AppendRules(this.db);
    this.groupCommit = new GroupCommit(this.db, {
      maxAppendsPerCommit: options.maxAppendsPerCommit ?? 256,
      apply: (append, created) => rules.apply(append, created),
      onCommitted: () => {
        this.sharedPage = undefined;
        this.commits.notify();
      },
      ...(this.walFd !== undefined
        ? {
            sync: (done: (error?: Error | null) => void) => fs.fdatasync(this.walFd!, done),
            onUnsynced: (from: bigint | undefined) => (this.unsyncedFrom = from),
          }
        : {}),
    });
    this.reads = new EventReads(this.db);
    this.subscriptionSettings = {
      pageSize: options.subscriptionPageSize ?? 1000,
      pollMs: options.subscriptionPollMs ?? 1000,
    };
    this.subscriptionSource = {
      readPage: (after, pageSize, prefixes) => this.subscriptionPage(after, pageSize, prefixes),
      commits: this.commits,
      isClosed: () => this.closed,
    };
  }

  appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the event store is closed'));
    try {
      return this.groupCommit.enqueue(prepareAppend(streamId, events, options.expectedRevision));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(() => this.reads.stream(streamId, options));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(() =>
      this.reads.log(
        options.direction ?? 'forwards',
        options.fromPosition,
        options.maxCount,
        options.streamPrefixes,
      ),
    );
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): StoreSubscription {
    const subscription = new CatchUpSubscription(
      this.subscriptionSource,
      options,
      this.subscriptionSettings,
      () => this.subscriptions.delete(subscription),
    );
    if (this.closed) void subscription.close();
    else this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint | null> {
    return this.guard(() => this.reads.head() ?? null);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      return this.reads.ping();
    } catch {
      return false;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Commits what is queued, ends every subscription, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.groupCommit.drain();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.commits.notify();
    this.db.close();
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
  }

  private subscriptionPage(
    after: bigint | undefined,
    pageSize: number,
    prefixes: string[] | undefined,
  ): SubscriptionPage {
    const key = `${after}|${pageSize}|${this.unsyncedFrom}|${prefixes?.join('\u0000')}`;
    if (this.sharedPage?.key === key) return this.sharedPage.page;
    const page = this.reads.subscriptionPage(after, pageSize, prefixes, this.unsyncedFrom);
    const shared = (this.sharedPage = { key, page });
    setImmediate(() => {
      if (this.sharedPage === shared) this.sharedPage = undefined;
    });
    return page;
  }

  private guard<T>(read: () => T): T {
    if (this.closed) throw new StoreUnavailableError('the event store is closed');
    try {
      return read();
    } catch (error) {
      throw new StoreUnavailableError('the event store could not be read', { cause: error });
    }
  }
}
