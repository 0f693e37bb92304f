/**
 * The embedded event store: one SQLite file, one table of events whose
 * autoincrement `position` is the global log.
 *
 * better-sqlite3 is synchronous, so appends issued in the same turn of the
 * event loop are queued and committed together in one transaction (group
 * commit): a command is answered only after COMMIT with `synchronous=FULL`,
 * yet concurrent commands share one fsync.
 *
 * Imports stay relative (no `@ipt/...` aliases) so the durability test's child
 * process can load this file with a plain TypeScript transpile.
 */
import Database from 'better-sqlite3';
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
  SubscriptionMessage,
  WrongExpectedRevisionError,
} from '../event-store.port';

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

/** Raised when an event id is already recorded in another stream (ids are unique store-wide). */
export class DuplicateEventIdError extends Error {
  readonly code = 'duplicate_event_id';
  constructor(
    readonly eventId: string,
    readonly existingStreamId: string,
  ) {
    super(`event id ${eventId} is already recorded in stream ${existingStreamId}`);
    this.name = 'DuplicateEventIdError';
  }
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  event_id  TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  created   INTEGER NOT NULL
);
-- serves stream reads and the stream-head lookup (last revision)
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream_id, revision);
-- serves idempotent re-appends and keeps ids unique store-wide
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (event_id);
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface EventRow {
  position: bigint;
  stream_id: string;
  revision: bigint;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  created: bigint;
}

interface StreamHead {
  revision: number;
  position: bigint;
}

/** An append waiting for the next group commit; its events are already serialised. */
interface PendingAppend {
  streamId: string;
  expected: ExpectedRevision;
  events: { eventId: string; type: string; data: string; metadata: string }[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type SubscriptionPage = { events: RecordedEvent[]; scannedTo: bigint | undefined };
type SubscriptionPageReader = (
  after: bigint | undefined,
  limit: number,
  streamPrefixes: string[] | undefined,
) => SubscriptionPage;

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, created';

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly maxAppendsPerCommit: number;
  private readonly pageSize: number;
  private readonly pollMs: number;

  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private flushDone: (() => void) | undefined;
  /** Live subscriptions waiting for the next commit. */
  private commitWaiters = new Set<() => void>();
  private readonly subscriptions = new Set<SqliteSubscription>();

  private readonly stmt: {
    begin: Database.Statement;
    commit: Database.Statement;
    rollback: Database.Statement;
    savepoint: Database.Statement;
    rollbackToSavepoint: Database.Statement;
    releaseSavepoint: Database.Statement;
    head: Database.Statement<[string], { revision: bigint; position: bigint }>;
    insert: Database.Statement<[string, number, string, string, string, string, number]>;
    byEventId: Database.Statement<[string], { stream_id: string; revision: bigint }>;
    streamRange: Database.Statement<
      [string, number, number],
      { event_id: string; revision: bigint; position: bigint }
    >;
    streamForwards: Database.Statement<[string, number, number], EventRow>;
    streamBackwards: Database.Statement<[string, number, number], EventRow>;
    headPosition: Database.Statement<[], { position: bigint }>;
    ping: Database.Statement<[], { ok: bigint }>;
  };
  private subscriptionPageReader: Database.Transaction<SubscriptionPageReader> | undefined;
  /** Global-log reads, one statement per (direction, number of prefixes). */
  private readonly logStatements = new Map<string, Database.Statement<unknown[], EventRow>>();

  constructor(filename: string, options: SqliteEventStoreOptions = {}) {
    this.maxAppendsPerCommit = options.maxAppendsPerCommit ?? 256;
    this.pageSize = options.subscriptionPageSize ?? 1000;
    this.pollMs = options.subscriptionPollMs ?? 1000;
    try {
      this.db = new Database(filename);
      this.db.pragma('journal_mode = WAL');
      // FULL: the WAL is fsynced at every commit, so an answered command survives power loss.
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // 64 MiB of page cache (the default is 2 MiB): the random-UUID event_id index
      // must stay in memory for appends to cost the same at 1 M events as at 10 k.
      this.db.pragma('cache_size = -65536');
      this.migrate();
    } catch (error) {
      throw new StoreUnavailableError(`cannot open the event store at ${filename}`, {
        cause: error,
      });
    }
    const db = this.db;
    // safeIntegers: positions come back as bigint, as the port wants, with no precision loss.
    this.stmt = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT append'),
      rollbackToSavepoint: db.prepare('ROLLBACK TO append'),
      releaseSavepoint: db.prepare('RELEASE append'),
      head: db
        .prepare<[string], { revision: bigint; position: bigint }>(
          'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
        )
        .safeIntegers(),
      insert: db
        .prepare<[string, number, string, string, string, string, number]>(
          'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .safeIntegers(),
      byEventId: db
        .prepare<[string], { stream_id: string; revision: bigint }>(
          'SELECT stream_id, revision FROM events WHERE event_id = ?',
        )
        .safeIntegers(),
      streamRange: db
        .prepare<
          [string, number, number],
          { event_id: string; revision: bigint; position: bigint }
        >(
          'SELECT event_id, revision, position FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
        )
        .safeIntegers(),
      streamForwards: db
        .prepare<[string, number, number], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
        )
        .safeIntegers(),
      streamBackwards: db
        .prepare<[string, number, number], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
        )
        .safeIntegers(),
      headPosition: db
        .prepare<[], { position: bigint }>(
          'SELECT position FROM events ORDER BY position DESC LIMIT 1',
        )
        .safeIntegers(),
      ping: db.prepare<[], { ok: bigint }>('SELECT 1 AS ok').safeIntegers(),
    };
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `event store schema ${version} is newer than this code understands (${SCHEMA_VERSION})`,
      );
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the event store is closed'));
    let pending: Omit<PendingAppend, 'resolve' | 'reject'>;
    try {
      pending = prepareAppend(streamId, events, options.expectedRevision);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...pending, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate (not a microtask): requests read in the same I/O phase join one commit.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, this.maxAppendsPerCommit);
    if (this.queue.length > 0) this.scheduleFlush();
    if (batch.length > 0) this.commitBatch(batch);
    if (this.queue.length === 0 && this.flushDone) this.flushDone();
  }

  private commitBatch(batch: PendingAppend[]): void {
    const outcomes: Outcome[] = [];
    try {
      this.stmt.begin.run();
      const created = Date.now();
      for (const append of batch) outcomes.push(this.applyAppend(append, created));
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
    if (outcomes.some((o) => o.ok)) this.notifyCommitted();
  }

  /** Checks one append against the stream as the batch so far has left it, and writes it or explains why not. */
  private applyAppend(append: PendingAppend, created: number): Outcome {
    const { streamId, expected, events } = append;
    const head = this.headOf(streamId);
    const fail = () => ({ ok: false as const, error: this.wrongRevision(streamId, expected) });

    if (expected === 'any' || expected === 'stream_exists') {
      if (expected === 'stream_exists' && !head) return fail();
      // Idempotent only when the ids are already stored in this stream, consecutively and in order.
      const first = events.length > 0 ? this.stmt.byEventId.get(events[0].eventId) : undefined;
      if (first) {
        if (first.stream_id !== streamId) {
          return {
            ok: false,
            error: new DuplicateEventIdError(events[0].eventId, first.stream_id),
          };
        }
        const found = this.matchStored(streamId, Number(first.revision), append);
        return found ? { ok: true, result: found } : fail();
      }
    } else {
      const expectedRevision = expected === 'no_stream' ? -1 : expected;
      const actual = head?.revision ?? -1;
      if (actual !== expectedRevision) {
        if (actual < expectedRevision) return fail();
        // The stream moved on: a retry of an append that already succeeded finds its own events here.
        const found = this.matchStored(streamId, expectedRevision + 1, append);
        return found ? { ok: true, result: found } : fail();
      }
    }

    if (events.length === 0) {
      return {
        ok: true,
        result: { nextExpectedRevision: head?.revision ?? -1, position: head?.position ?? -1n },
      };
    }
    return this.write(append, head, created);
  }

  private write(append: PendingAppend, head: StreamHead | undefined, created: number): Outcome {
    const { streamId, events } = append;
    // One statement undoes itself on a constraint failure; several need a savepoint so a
    // failing append leaves the rest of the batch intact.
    const guarded = events.length > 1;
    if (guarded) this.stmt.savepoint.run();
    let revision = head?.revision ?? -1;
    let position = 0n;
    try {
      for (const event of events) {
        revision += 1;
        const info = this.stmt.insert.run(
          streamId,
          revision,
          event.eventId,
          event.type,
          event.data,
          event.metadata,
          created,
        );
        position = BigInt(info.lastInsertRowid);
      }
    } catch (error) {
      // Anything but a duplicate id (I/O, disk full) fails the whole batch, in commitBatch.
      if (!isUniqueViolation(error)) throw error;
      if (guarded) {
        this.stmt.rollbackToSavepoint.run();
        this.stmt.releaseSavepoint.run();
      }
      return { ok: false, error: this.explainInsertFailure(append, error) };
    }
    if (guarded) this.stmt.releaseSavepoint.run();
    return { ok: true, result: { nextExpectedRevision: revision, position } };
  }

  /** A unique violation here means an event id already stored somewhere. */
  private explainInsertFailure(append: PendingAppend, error: unknown): unknown {
    for (const event of append.events) {
      const existing = this.stmt.byEventId.get(event.eventId);
      if (!existing) continue;
      // Part of this append is already in the stream, but not as a whole retry of it.
      if (existing.stream_id === append.streamId)
        return this.wrongRevision(append.streamId, append.expected);
      return new DuplicateEventIdError(event.eventId, existing.stream_id);
    }
    return error;
  }

  /** The stored result when the stream holds exactly these events from `fromRevision` on. */
  private matchStored(
    streamId: string,
    fromRevision: number,
    append: PendingAppend,
  ): AppendResult | undefined {
    const { events } = append;
    if (events.length === 0) return undefined;
    const stored = this.stmt.streamRange.all(streamId, fromRevision, events.length);
    if (stored.length !== events.length) return undefined;
    for (let i = 0; i < events.length; i++) {
      if (stored[i].event_id !== events[i].eventId) return undefined;
    }
    const last = stored[stored.length - 1];
    return { nextExpectedRevision: Number(last.revision), position: last.position };
  }

  private headOf(streamId: string): StreamHead | undefined {
    const row = this.stmt.head.get(streamId);
    return row ? { revision: Number(row.revision), position: row.position } : undefined;
  }

  private wrongRevision(streamId: string, expected: ExpectedRevision): WrongExpectedRevisionError {
    const head = this.headOf(streamId);
    return new WrongExpectedRevisionError(streamId, expected, head ? head.revision : 'no_stream');
  }

  private notifyCommitted(): void {
    const waiters = this.commitWaiters;
    this.commitWaiters = new Set();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves at the next commit by this store or after `ms`; `wake` ends the
   * wait early (a closing subscription). Nothing outlives the wait.
   */
  waitForCommit(ms: number): { committed: Promise<void>; wake(): void } {
    let wake!: () => void;
    const committed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), ms);
      wake = () => {
        clearTimeout(timer);
        this.commitWaiters.delete(wake);
        resolve();
      };
      this.commitWaiters.add(wake);
    });
    return { committed, wake };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.maxCount ?? -1;
    return this.guard(() => {
      const rows =
        options.direction === 'backwards'
          ? this.stmt.streamBackwards.all(
              streamId,
              options.fromRevision ?? Number.MAX_SAFE_INTEGER,
              limit,
            )
          : this.stmt.streamForwards.all(streamId, options.fromRevision ?? 0, limit);
      return rows.map(toRecordedEvent);
    });
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(() =>
      this.readLog(
        options.direction ?? 'forwards',
        options.fromPosition,
        options.maxCount,
        options.streamPrefixes,
      ),
    );
  }

  /** One page of the global log, for readAll and subscriptions. @internal */
  readLog(
    direction: 'forwards' | 'backwards',
    fromPosition: bigint | undefined,
    maxCount: number | undefined,
    prefixes: string[] | undefined,
  ): RecordedEvent[] {
    const prefixList = prefixes ?? [];
    const forwards = direction === 'forwards';
    const key = `${direction}:${prefixList.length}`;
    let statement = this.logStatements.get(key);
    if (!statement) {
      // substr/length both count characters, so the prefix test is exact and case-sensitive (unlike LIKE).
      const filter = prefixList.map(() => 'substr(stream_id, 1, length(?)) = ?').join(' OR ');
      statement = this.db
        .prepare<unknown[], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE position ${forwards ? '>=' : '<='} ?` +
            (filter ? ` AND (${filter})` : '') +
            ` ORDER BY position ${forwards ? 'ASC' : 'DESC'} LIMIT ?`,
        )
        .safeIntegers(true);
      this.logStatements.set(key, statement);
    }
    const from = fromPosition ?? (forwards ? 0n : BigInt(Number.MAX_SAFE_INTEGER));
    const params: unknown[] = [from];
    for (const prefix of prefixList) params.push(prefix, prefix);
    params.push(maxCount ?? -1);
    return statement.all(...params).map(toRecordedEvent);
  }

  /**
   * A subscription's next page after `after`, and how far the log has been
   * looked through: past the head when the page is short, so a rare filter
   * does not rescan the same unmatched events at every commit. Both come from
   * one read snapshot, so a writer in another process cannot slip between them.
   * @internal
   */
  readSubscriptionPage(
    after: bigint | undefined,
    pageSize: number,
    prefixes: string[] | undefined,
  ): SubscriptionPage {
    // Built once; everything a subscription varies on is an argument.
    this.subscriptionPageReader ??= this.db.transaction(
      (from: bigint | undefined, limit: number, streamPrefixes: string[] | undefined) => {
        const start = from === undefined ? undefined : from + 1n;
        const events = this.readLog('forwards', start, limit, streamPrefixes);
        if (events.length === limit) {
          return { events, scannedTo: events[events.length - 1].position };
        }
        return { events, scannedTo: this.stmt.headPosition.get()?.position ?? from };
      },
    );
    return this.subscriptionPageReader(after, pageSize, prefixes);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): StoreSubscription {
    const subscription = new SqliteSubscription(this, options, this.pageSize, this.pollMs, () =>
      this.subscriptions.delete(subscription),
    );
    if (this.closed) void subscription.close();
    else this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint | null> {
    return this.guard(() => this.stmt.headPosition.get()?.position ?? null);
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      return this.stmt.ping.get()?.ok === 1n;
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
    if (this.queue.length > 0 || this.flushScheduled) {
      await new Promise<void>((resolve) => (this.flushDone = resolve));
    }
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.notifyCommitted();
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

/**
 * Pull-driven: it reads the next page only when the consumer has taken the
 * previous one, so memory stays at one page whatever the log's length.
 */
class SqliteSubscription implements StoreSubscription {
  private closed = false;
  /** Ends the current wait for a commit, if any. */
  private wakeWaiting: (() => void) | undefined;
  private readonly messages: AsyncGenerator<SubscriptionMessage>;

  constructor(
    private readonly store: SqliteEventStore,
    private readonly options: SubscribeToAllOptions,
    private readonly pageSize: number,
    private readonly pollMs: number,
    private readonly onClose: () => void,
  ) {
    this.messages = this.deliver();
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return this.messages;
  }

  private async *deliver(): AsyncGenerator<SubscriptionMessage> {
    let after = this.options.afterPosition;
    let caughtUp = false;
    try {
      while (!this.ended()) {
        const { events: page, scannedTo } = this.readPageAfter(after);
        for (const event of page) {
          yield { kind: 'event', event };
          if (this.ended()) return;
        }
        after = scannedTo;
        if (page.length === this.pageSize) continue;
        if (!caughtUp) {
          caughtUp = true;
          yield { kind: 'caught_up' };
          continue;
        }
        // Commits may have happened while the consumer held the page: read again before sleeping.
        if (page.length > 0) continue;
        // Nothing new: sleep until this store commits (another process may have, hence the poll).
        // The empty read and the waiter's registration happen in one synchronous step: no lost wake-up.
        const wait = this.store.waitForCommit(this.pollMs);
        this.wakeWaiting = wait.wake;
        await wait.committed;
        this.wakeWaiting = undefined;
      }
    } finally {
      this.markClosed();
    }
  }

  private readPageAfter(after: bigint | undefined): {
    events: RecordedEvent[];
    scannedTo: bigint | undefined;
  } {
    try {
      return this.store.readSubscriptionPage(after, this.pageSize, this.options.streamPrefixes);
    } catch (error) {
      if (this.ended()) return { events: [], scannedTo: after };
      throw new StoreUnavailableError('the event store could not be read', { cause: error });
    }
  }

  private ended(): boolean {
    return this.closed || this.store.isClosed;
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeWaiting?.();
    this.onClose();
  }

  async close(): Promise<void> {
    // Wakes a waiting `next()`, which then finishes the iteration.
    this.markClosed();
  }
}

function prepareAppend(
  streamId: string,
  events: EventToAppend[],
  expected: ExpectedRevision,
): Omit<PendingAppend, 'resolve' | 'reject'> {
  if (typeof streamId !== 'string' || streamId.length === 0)
    throw new TypeError('a stream id is required');
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new RangeError(
      `expected revision must be a revision (>= 0) or a keyword, not ${expected}`,
    );
  }
  const seen = new Set<string>();
  const prepared = events.map((event) => {
    // Lower-cased so idempotent retries match whatever case the caller used (EventStoreDB does the same).
    const eventId = String(event.eventId).toLowerCase();
    if (!UUID.test(eventId)) throw new TypeError(`event id must be a UUID: ${event.eventId}`);
    if (seen.has(eventId)) throw new TypeError(`event id ${eventId} appears twice in one append`);
    seen.add(eventId);
    return {
      eventId,
      type: event.type,
      data: JSON.stringify(event.data ?? {}),
      metadata: JSON.stringify(event.metadata ?? {}),
    };
  });
  return { streamId, expected, events: prepared };
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: row.position,
    eventId: row.event_id,
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    created: new Date(Number(row.created)),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
