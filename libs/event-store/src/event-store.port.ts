/**
 * The event-store port: what the ledger needs of an event store, and nothing
 * more. Two adapters implement it (embedded SQLite, EventStoreDB) and both run
 * the same contract suite (test/contract/event-store.contract.ts).
 *
 * Revisions are 0-based per stream, as in EventStoreDB. Positions order every
 * event of every stream in one global log; they only grow, but need not be
 * dense (EventStoreDB positions are byte offsets).
 */

/** An event as the caller proposes it. `eventId` is a UUID chosen by the caller. */
export interface EventToAppend {
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** An event as the store recorded it. */
export interface RecordedEvent {
  streamId: string;
  revision: number;
  /** Position in the global log (EventStoreDB: the commit position). */
  position: bigint;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** When the store wrote it (store clock). */
  created: Date;
}

/**
 * `any`: append whatever the stream holds; `no_stream`: the stream must not
 * exist; `stream_exists`: it must have at least one event; a number: the
 * revision of the stream's last event must equal it.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendResult {
  /** Revision of the last event written (or found, on an idempotent re-append). */
  nextExpectedRevision: number;
  /** Position of the last event written (or found). */
  position: bigint;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards'; // default forwards
  /** Inclusive. Default: the first event (forwards) or the last one (backwards). */
  fromRevision?: number;
  maxCount?: number; // default: all
}

export interface ReadAllOptions {
  direction?: 'forwards' | 'backwards'; // default forwards
  /**
   * Inclusive start position. Default: the start (forwards) or the end
   * (backwards).
   */
  fromPosition?: bigint;
  maxCount?: number; // default: all
  /** Only streams whose id starts with one of these prefixes (e.g. `course-`). */
  streamPrefixes?: string[];
}

export interface SubscribeToAllOptions {
  /** Exclusive: deliver events strictly after this position. Omitted: from the start. */
  afterPosition?: bigint;
  /** Only streams whose id starts with one of these prefixes (e.g. `course-`). */
  streamPrefixes?: string[];
}

/** What a catch-up subscription delivers, in order. */
export type SubscriptionMessage =
  | { kind: 'event'; event: RecordedEvent }
  /** Every event stored when the subscription started has been delivered; live events follow. */
  | { kind: 'caught_up' };

/**
 * A catch-up subscription: the stored events after the start position, then
 * `caught_up`, then new events as they are appended, until `close()`.
 * Iteration throws `StoreUnavailableError` when the store goes away; the
 * consumer resubscribes from its own checkpoint.
 */
export interface StoreSubscription extends AsyncIterable<SubscriptionMessage> {
  close(): Promise<void>;
}

export interface EventStore {
  /**
   * Appends atomically: all events or none. Idempotent by event id: appending
   * events whose ids equal the events already stored right after the expected
   * revision writes nothing and returns the existing revision and position.
   * Throws WrongExpectedRevisionError, StoreUnavailableError.
   */
  appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;

  /** Events of one stream; an empty array when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Events of the global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  subscribeToAll(options?: SubscribeToAllOptions): StoreSubscription;

  /** Position of the last event in the global log (null when empty); for lag figures. */
  headPosition(): Promise<bigint | null>;

  /** Cheap reachability check for readiness. */
  ping(): Promise<boolean>;

  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, 'no_stream' when it has no events, undefined when unknown. */
    readonly actual: number | 'no_stream' | undefined,
  ) {
    super(`wrong expected revision on ${streamId}: expected ${expected}, actual ${actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  constructor(message = 'the event store is unreachable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A stored event whose data or metadata is not a JSON object: the store holds
 * it, but no reader can take it. The message names the event, never its bytes.
 */
export class UnreadableEventError extends Error {
  readonly code = 'event_unreadable';
  constructor(
    readonly streamId: string,
    readonly revision: number,
    readonly problem: string,
  ) {
    super(`cannot read ${streamId}@${revision}: ${problem}`);
    this.name = 'UnreadableEventError';
  }
}

export const EVENT_STORE = Symbol('EventStore');
