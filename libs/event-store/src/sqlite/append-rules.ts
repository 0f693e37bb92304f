/**
 * The append rules: the expected-revision check and idempotent re-append
 * (the same event ids, in order, at the same place succeed again with the
 * stored result). Applied inside the group commit's transaction, one append
 * at a time, against the stream as the batch so far has left it.
 */
import {
  AppendResult,
  EventToAppend,
  ExpectedRevision,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { isUniqueViolation, type SqliteDatabase, type SqliteStatement } from './driver';

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

/** An append checked and serialised, waiting for the next group commit. */
export interface PreparedAppend {
  streamId: string;
  expected: ExpectedRevision;
  events: { eventId: string; type: string; data: string; metadata: string }[];
}

export type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

interface StreamHead {
  revision: number;
  position: bigint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The checks that need no database: a stream id, a revision, UUIDs used once. */
export function prepareAppend(
  streamId: string,
  events: EventToAppend[],
  expected: ExpectedRevision,
): PreparedAppend {
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

export class AppendRules {
  private readonly stmt: {
    savepoint: SqliteStatement;
    rollbackToSavepoint: SqliteStatement;
    releaseSavepoint: SqliteStatement;
    head: SqliteStatement<[string], { revision: bigint; position: bigint }>;
    insert: SqliteStatement<[string, number, string, string, string, string, number]>;
    byEventId: SqliteStatement<[string], { stream_id: string; revision: bigint }>;
    streamRange: SqliteStatement<
      [string, number, number],
      { event_id: string; revision: bigint; position: bigint }
    >;
  };

  constructor(db: SqliteDatabase) {
    // safeIntegers: positions come back as bigint, as the port wants, with no precision loss.
    this.stmt = {
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
    };
  }

  /** Checks one append against the stream as the batch so far has left it, and writes it or explains why not. */
  apply(append: PreparedAppend, created: number): Outcome {
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

  private write(append: PreparedAppend, head: StreamHead | undefined, created: number): Outcome {
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
      // Anything but a duplicate id (I/O, disk full) fails the whole batch, in the group commit.
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
  private explainInsertFailure(append: PreparedAppend, error: unknown): unknown {
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
    append: PreparedAppend,
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
}
