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
import { openSqlite, type SqliteDatabase } from './driver';
import { EventReads } from './event-reads';
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

  constructor(filename: string, options: SqliteEventStoreOptions = {}) {
    try {
      this.db = openSqlite(filename);
      this.db.pragma('journal_mode = WAL');
      // FULL: the WAL is fsynced at every commit, so an answered command survives power loss.
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // 64 MiB of page cache (the default is 2 MiB): the random-UUID event_id index
      // must stay in memory for appends to cost the same at 1 M events as at 10 k.
      this.db.pragma('cache_size = -65536');
      migrate(this.db);
    } catch (error) {
      throw new StoreUnavailableError(`cannot open the event store at ${filename}`, {
        cause: error,
      });
    }
    const rules = new AppendRules(this.db);
    this.groupCommit = new GroupCommit(this.db, {
      maxAppendsPerCommit: options.maxAppendsPerCommit ?? 256,
      apply: (append, created) => rules.apply(append, created),
      onCommitted: () => this.commits.notify(),
    });
    this.reads = new EventReads(this.db);
    this.subscriptionSettings = {
      pageSize: options.subscriptionPageSize ?? 1000,
      pollMs: options.subscriptionPollMs ?? 1000,
    };
    this.subscriptionSource = {
      readPage: (after, pageSize, prefixes) =>
        this.reads.subscriptionPage(after, pageSize, prefixes),
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
