/**
 * The event-store port over EventStoreDB / KurrentDB, through
 * @eventstore/db-client (gRPC). Everything client-specific stays in this
 * folder, so that a switch to the renamed successor client stays local.
 */
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  JSONType,
  Position,
  ReadPosition,
  ReadRevision,
  ResolvedEvent,
} from '@eventstore/db-client';
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
  UnreadableEventError,
  WrongExpectedRevisionError,
} from '../event-store.port';

export interface EsdbEventStoreOptions {
  /** How long ping() waits for an answer before reporting the store unreachable. Default 2,000 ms. */
  pingTimeoutMs?: number;
  /** Events per request when readAll has to page (filtered or unbounded reads). Default 1,000; at least 2. */
  readPageSize?: number;
}

/** gRPC status codes that mean "the server is not there (right now)". */
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const UNREACHABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

export class EsdbEventStore implements EventStore {
  private readonly openSubscriptions = new Set<EsdbSubscription>();
  private readonly pingTimeoutMs: number;
  private readonly readPageSize: number;

  constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions = {},
  ) {
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
    // Forward pages overlap by one event, so a page must hold at least two to make progress.
    this.readPageSize = Math.max(2, options.readPageSize ?? 1_000);
  }

  /** `esdb://host:2113?tls=false`, `esdb+discover://…`: anything the client's connection string accepts. */
  static fromConnectionString(
    connectionString: string,
    options?: EsdbEventStoreOptions,
  ): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const { expectedRevision } = options;
    if (events.length === 0) return this.appendNothing(streamId, expectedRevision);
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((event) =>
          jsonEvent({
            id: event.eventId,
            type: event.type,
            data: event.data as JSONType,
            metadata: event.metadata as JSONType,
          }),
        ),
        { expectedRevision: toClientRevision(expectedRevision) },
      );
      const nextExpectedRevision = Number(result.nextExpectedRevision);
      // Servers may leave out the position of an idempotent re-append; the event itself still has one.
      const position =
        result.position?.commit ?? (await this.positionOf(streamId, nextExpectedRevision));
      return { nextExpectedRevision, position };
    } catch (error) {
      throw translateError(error, { streamId, expectedRevision });
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    let fromRevision: ReadRevision = backwards ? END : START;
    if (options.fromRevision !== undefined) fromRevision = BigInt(options.fromRevision);
    try {
      const events: RecordedEvent[] = [];
      const read = this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
      // Checked once the read has ended: leaving a read midway leaves the client's call open.
      return events.map(readable);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw translateError(error, { streamId });
    }
  }

  /**
   * The client's readAll carries no server-side filter (6.x sends `no_filter`),
   * so prefixes and system events are filtered here, paging through the log.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const wanted = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (wanted <= 0) return [];
    const keep = userEventsOf(options.streamPrefixes);
    const found: RecordedEvent[] = [];
    const take = (event: RecordedEvent | null) => {
      if (event && keep(event) && found.length < wanted) found.push(readable(event));
    };
    try {
      let from: ReadPosition = backwards ? END : START;
      if (options.fromPosition !== undefined) {
        from = at(options.fromPosition);
        // Backwards reads of $all start before the given position; the port's start is inclusive.
        if (backwards) {
          const [atStart] = await this.readAllPage(from, FORWARDS, 1);
          if (atStart?.position === options.fromPosition) take(atStart);
        }
      }
      let lastSeen: bigint | undefined;
      while (found.length < wanted) {
        const page = await this.readAllPage(
          from,
          backwards ? BACKWARDS : FORWARDS,
          this.readPageSize,
        );
        for (const event of page) {
          // Forward pages restart at the last position read (inclusive); skip that event the second time.
          if (!backwards && lastSeen !== undefined && event.position <= lastSeen) continue;
          take(event);
        }
        if (page.length < this.readPageSize) break;
        lastSeen = page[page.length - 1].position;
        from = at(lastSeen);
      }
      return found;
    } catch (error) {
      throw translateError(error, {});
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): StoreSubscription {
    const prefixes = options.streamPrefixes?.filter((prefix) => prefix.length > 0);
    const source = this.client.subscribeToAll({
      fromPosition: options.afterPosition === undefined ? START : at(options.afterPosition),
      // Server-side: one filter per subscription. Prefixed stream names leave `$` streams out;
      // without prefixes, leave out `$` event types. The rest is re-checked below.
      filter: prefixes?.length ? streamNameFilter({ prefixes }) : excludeSystemEvents(),
    });
    const subscription = new EsdbSubscription(source, userEventsOf(prefixes), () =>
      this.openSubscriptions.delete(subscription),
    );
    this.openSubscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint | null> {
    try {
      let from: ReadPosition = END;
      const keep = userEventsOf(undefined);
      // System events (stats, scavenges) can sit on top of the log; look past them.
      for (;;) {
        const page = await this.readAllPage(from, BACKWARDS, 32);
        const head = page.find(keep);
        if (head) return head.position;
        if (page.length < 32) return null;
        from = at(page[page.length - 1].position);
      }
    } catch (error) {
      throw translateError(error, {});
    }
  }

  async ping(): Promise<boolean> {
    // Reads take no deadline from the caller (the client sets none), so race a timer and cancel.
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const answered = (async () => {
      for await (const _ of read) void _;
      return true;
    })().catch(() => false);
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.pingTimeoutMs);
    });
    const reachable = await Promise.race([answered, timedOut]);
    clearTimeout(timer);
    if (!reachable) await read.cancel().catch(() => undefined);
    return reachable;
  }

  async close(): Promise<void> {
    await Promise.all([...this.openSubscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /** An empty append writes nothing; EventStoreDB answers it inconsistently, so check the expectation here. */
  private async appendNothing(
    streamId: string,
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    const holds =
      expectedRevision === 'any' ||
      (expectedRevision === 'no_stream' && !last) ||
      (expectedRevision === 'stream_exists' && !!last) ||
      (typeof expectedRevision === 'number' && (last?.revision ?? -1) === expectedRevision);
    if (!holds)
      throw new WrongExpectedRevisionError(
        streamId,
        expectedRevision,
        last ? last.revision : 'no_stream',
      );
    return {
      nextExpectedRevision: last?.revision ?? -1,
      position: last?.position ?? (await this.headPosition()) ?? 0n,
    };
  }

  private async positionOf(streamId: string, revision: number): Promise<bigint> {
    const [event] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    if (!event)
      throw new StoreUnavailableError(
        `the event store lost ${streamId}@${revision} right after writing it`,
      );
    return event.position;
  }

  private async readAllPage(
    from: ReadPosition,
    direction: typeof FORWARDS | typeof BACKWARDS,
    count: number,
  ) {
    const page: RecordedEvent[] = [];
    for await (const resolved of this.client.readAll({
      fromPosition: from,
      direction,
      maxCount: count,
    })) {
      const event = toRecordedEvent(resolved);
      if (event) page.push(event);
    }
    return page;
  }
}

/**
 * A filtered catch-up subscription to $all as the port's async iterable. The
 * client's Subscription is a Transform stream; events are taken in flowing
 * mode into a bounded queue (pausing the stream when the consumer lags).
 */
class EsdbSubscription implements StoreSubscription {
  private static readonly HIGH_WATER = 512;
  private static readonly LOW_WATER = 64;
  private readonly queue: SubscriptionMessage[] = [];
  private failure: Error | null = null;
  private finished = false;
  private closed = false;
  private caughtUpSent = false;
  /** Events the client had already pushed, unread, when it reported caught-up; caught_up goes after them. */
  private eventsBeforeCaughtUp: number | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly keep: (event: RecordedEvent) => boolean,
    private readonly onClosed: () => void,
  ) {
    source.on('data', (resolved: AllStreamResolvedEvent) => this.onEvent(resolved));
    // 6.x reports caught-up as an event on the stream, emitted when the message is transformed,
    // possibly before events transformed earlier have been read out of the stream's buffer.
    source.on('caughtUp', () => {
      if (this.caughtUpSent || this.eventsBeforeCaughtUp !== null) return;
      if (source.readableLength === 0) this.pushCaughtUp();
      else this.eventsBeforeCaughtUp = source.readableLength;
    });
    source.on('error', (error: Error) =>
      this.finish(translateError(error, {}, 'the subscription to the event store dropped')),
    );
    // A subscription never ends on its own: an end we did not ask for is the server going away.
    source.on('end', () =>
      this.finish(new StoreUnavailableError('the event store ended the subscription')),
    );
    source.on('close', () =>
      this.finish(new StoreUnavailableError('the event store closed the subscription')),
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.finished = true;
    this.queue.length = 0;
    this.onClosed();
    this.notify();
    await this.source.unsubscribe().catch(() => undefined);
  }

  private async next(): Promise<IteratorResult<SubscriptionMessage>> {
    for (;;) {
      const message = this.queue.shift();
      if (message) {
        if (
          this.queue.length <= EsdbSubscription.LOW_WATER &&
          this.source.isPaused() &&
          !this.finished
        ) {
          this.source.resume();
        }
        return { done: false, value: message };
      }
      if (this.failure) {
        const failure = this.failure;
        this.failure = null;
        this.onClosed();
        throw failure;
      }
      if (this.finished) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private onEvent(resolved: AllStreamResolvedEvent): void {
    if (this.closed || this.finished) return;
    const event = toRecordedEvent(resolved);
    if (event && this.keep(event)) {
      try {
        this.queue.push({ kind: 'event', event: readable(event) });
      } catch (error) {
        // Deliver what came before it, then fail: the consumer's checkpoint stops right here.
        this.finish(error);
        return;
      }
    }
    if (this.eventsBeforeCaughtUp !== null && --this.eventsBeforeCaughtUp === 0)
      this.pushCaughtUp();
    if (this.queue.length >= EsdbSubscription.HIGH_WATER) this.source.pause();
    this.notify();
  }

  private pushCaughtUp(): void {
    this.eventsBeforeCaughtUp = null;
    this.caughtUpSent = true;
    this.queue.push({ kind: 'caught_up' });
    this.notify();
  }

  private finish(failure: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = failure instanceof Error ? failure : new StoreUnavailableError(String(failure));
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** The port's positions are commit positions; EventStoreDB's events have commit = prepare. */
function at(position: bigint): Position {
  return { commit: position, prepare: position };
}

/**
 * Events whose data or metadata did not parse, with the reason. They are only
 * refused once a read keeps them (see `readable`): an unreadable event in a
 * stream the ledger does not read must not stop a read of the log.
 */
const unreadable = new WeakMap<RecordedEvent, string>();

function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (!event) return null;
  // The client parses JSON events itself and hands back the text when that fails.
  const data = event.isJson ? event.data : parseJsonBytes(event.data);
  // The client parses metadata itself and hands back the bytes when that fails.
  const metadata = isBytes(event.metadata) ? parseJsonBytes(event.metadata) : event.metadata;
  const recorded: RecordedEvent = {
    streamId: event.streamId,
    revision: Number(event.revision),
    position: event.position?.commit ?? resolved.commitPosition ?? -1n,
    eventId: event.id,
    type: event.type,
    data: isRecord(data) ? data : {},
    metadata: isRecord(metadata) ? metadata : {},
    created:
      event.created instanceof Date ? event.created : new Date(event.created as unknown as string),
  };
  if (!isRecord(data)) unreadable.set(recorded, 'data is not a JSON object');
  // No metadata at all reads as empty; metadata that is there must be a JSON object.
  else if (metadata !== undefined && !isRecord(metadata))
    unreadable.set(recorded, 'metadata is not a JSON object');
  return recorded;
}

/** The event, or UnreadableEventError when its data or metadata did not parse. */
function readable(event: RecordedEvent): RecordedEvent {
  const problem = unreadable.get(event);
  if (problem) throw new UnreadableEventError(event.streamId, event.revision, problem);
  return event;
}

const NOT_JSON = Symbol('not JSON');

/** Parsed JSON, or NOT_JSON. */
function parseJsonBytes(bytes: unknown): unknown {
  if (!isBytes(bytes)) return NOT_JSON;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

/** Byte arrays, whichever realm made them (a Buffer may not be `instanceof` this realm's Uint8Array). */
function isBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The ledger's view of the log: no `$` system streams or event types, and only the given prefixes. */
function userEventsOf(prefixes: string[] | undefined): (event: RecordedEvent) => boolean {
  const wanted = prefixes?.filter((prefix) => prefix.length > 0);
  return (event) =>
    !event.streamId.startsWith('$') &&
    !event.type.startsWith('$') &&
    (!wanted?.length || wanted.some((prefix) => event.streamId.startsWith(prefix)));
}

function translateError(
  error: unknown,
  context: { streamId?: string; expectedRevision?: ExpectedRevision },
  unavailableMessage = 'the event store is unreachable',
): unknown {
  if (error instanceof WrongExpectedRevisionError || error instanceof StoreUnavailableError)
    return error;
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion;
    return new WrongExpectedRevisionError(
      context.streamId ?? error.streamName,
      context.expectedRevision ?? fromClientRevision(error.expectedVersion),
      typeof actual === 'bigint'
        ? Number(actual)
        : actual === 'no_stream'
          ? 'no_stream'
          : undefined,
    );
  }
  if (isUnreachable(error)) {
    return new StoreUnavailableError(`${unavailableMessage}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error;
}

function isUnreachable(error: unknown): boolean {
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    // Not the client's own cancellation (the client swallows that one): the server dropped the call.
    error instanceof CancelledError ||
    // A cluster between leaders is unavailable to us for the moment.
    error instanceof NotLeaderError
  ) {
    return true;
  }
  if (error === null || typeof error !== 'object') return false;
  // Raw gRPC and socket errors that reach us unconverted (e.g. from the server-features probe).
  const code = (error as { code?: unknown }).code;
  return (
    code === GRPC_UNAVAILABLE ||
    code === GRPC_DEADLINE_EXCEEDED ||
    code === GRPC_CANCELLED ||
    (typeof code === 'string' && UNREACHABLE_SOCKET_CODES.has(code))
  );
}

function fromClientRevision(expected: unknown): ExpectedRevision {
  if (typeof expected === 'bigint') return Number(expected);
  if (expected === 'no_stream' || expected === 'stream_exists') return expected;
  return 'any';
}
