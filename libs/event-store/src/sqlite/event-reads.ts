/** Reads of the events table: a stream, the global log, a subscription's page, the head. */
import type { ReadStreamOptions, RecordedEvent } from '../event-store.port';
import type { SqliteDatabase, SqliteStatement } from './driver';
import { COLUMNS, type EventRow, toRecordedEvent } from './event-rows';

export interface SubscriptionPage {
  events: RecordedEvent[];
  /** How far the log has been looked through (past the last event when the page is short). */
  scannedTo: bigint | undefined;
}

type SubscriptionPageReader = (
  after: bigint | undefined,
  limit: number,
  streamPrefixes: string[] | undefined,
) => SubscriptionPage;

export class EventReads {
  private readonly stmt: {
    streamForwards: SqliteStatement<[string, number, number], EventRow>;
    streamBackwards: SqliteStatement<[string, number, number], EventRow>;
    headPosition: SqliteStatement<[], { position: bigint }>;
    ping: SqliteStatement<[], { ok: bigint }>;
  };
  /** Global-log reads, one statement per (direction, number of prefixes). */
  private readonly logStatements = new Map<string, SqliteStatement<unknown[], EventRow>>();
  private subscriptionPageReader: SubscriptionPageReader | undefined;

  constructor(private readonly db: SqliteDatabase) {
    this.stmt = {
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

  stream(streamId: string, options: ReadStreamOptions): RecordedEvent[] {
    const limit = options.maxCount ?? -1;
    const rows =
      options.direction === 'backwards'
        ? this.stmt.streamBackwards.all(
            streamId,
            options.fromRevision ?? Number.MAX_SAFE_INTEGER,
            limit,
          )
        : this.stmt.streamForwards.all(streamId, options.fromRevision ?? 0, limit);
    return rows.map(toRecordedEvent);
  }

  /** One page of the global log, for readAll and subscriptions. */
  log(
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
   */
  subscriptionPage(
    after: bigint | undefined,
    pageSize: number,
    prefixes: string[] | undefined,
    /** Positions from here on are committed but not yet durable: not handed on yet. */
    durableBefore?: bigint,
  ): SubscriptionPage {
    const page = this.readSubscriptionPage(after, pageSize, prefixes);
    if (durableBefore === undefined) return page;
    const events = page.events.filter((e) => e.position < durableBefore);
    const scannedTo =
      page.scannedTo !== undefined && page.scannedTo >= durableBefore
        ? durableBefore - 1n
        : page.scannedTo;
    return {
      events,
      scannedTo:
        after !== undefined && scannedTo !== undefined && scannedTo < after ? after : scannedTo,
    };
  }

  private readSubscriptionPage(
    after: bigint | undefined,
    pageSize: number,
    prefixes: string[] | undefined,
  ): SubscriptionPage {
    // Built once; everything a subscription varies on is an argument.
    this.subscriptionPageReader ??= this.db.transaction(
      (from: bigint | undefined, limit: number, streamPrefixes: string[] | undefined) => {
        const start = from === undefined ? undefined : from + 1n;
        const events = this.log('forwards', start, limit, streamPrefixes);
        if (events.length === limit) {
          return { events, scannedTo: events[events.length - 1].position };
        }
        return { events, scannedTo: this.head() ?? from };
      },
    );
    return this.subscriptionPageReader(after, pageSize, prefixes);
  }

  head(): bigint | undefined {
    return this.stmt.headPosition.get()?.position;
  }

  ping(): boolean {
    return this.stmt.ping.get()?.ok === 1n;
  }
}
