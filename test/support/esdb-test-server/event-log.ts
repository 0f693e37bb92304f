import { randomUUID } from 'node:crypto';

/**
 * The in-memory log behind the EventStoreDB protocol test server: one global
 * log of events, each stream an ordered view of it. Only what the gRPC
 * surface needs; no persistence, no truncation, no deletes.
 */

/** An event as the test server stores it (wire-level: bytes and strings). */
export interface LoggedEvent {
  streamName: string;
  /** 0-based revision inside its stream. */
  revision: bigint;
  /** commit = prepare; grows by a byte-like amount per event, never densely. */
  position: bigint;
  id: string;
  type: string;
  contentType: string;
  /** .NET ticks since the Unix epoch (ms × 10,000). */
  createdTicks: bigint;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

/** The wire's expected-revision cases; a bigint is an exact revision. */
export type Expectation = 'any' | 'no_stream' | 'stream_exists' | bigint;

export type AppendOutcome =
  | {
      kind: 'written' | 'already_written';
      lastRevision: bigint | null;
      lastPosition: bigint | null;
    }
  | { kind: 'wrong_expected_version'; currentRevision: bigint | null };

/** Where the first event lands: an arbitrary non-zero offset, as on a real log. */
const FIRST_POSITION = 1_024n;
/** Fixed per-record overhead, so that positions look like byte offsets. */
const RECORD_HEADER_BYTES = 96n;

const encoder = new TextEncoder();

export class EventLog {
  private events: LoggedEvent[] = [];
  private streams = new Map<string, LoggedEvent[]>();
  private nextPosition = FIRST_POSITION;
  private readonly appendListeners = new Set<() => void>();
  /** Bumped by reset(); lets long-running calls notice the log they serve is gone. */
  generation = 0;

  constructor() {
    this.seedSystemEvents();
  }

  get all(): readonly LoggedEvent[] {
    return this.events;
  }

  stream(streamName: string): readonly LoggedEvent[] {
    return this.streams.get(streamName) ?? [];
  }

  lastPosition(): bigint | null {
    return this.events.length ? this.events[this.events.length - 1].position : null;
  }

  /** Index of the first event whose position is >= `position` (binary search: positions are sorted). */
  firstIndexAtOrAfter(position: bigint): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].position < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  append(streamName: string, expected: Expectation, proposed: ProposedEvent[]): AppendOutcome {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length ? stream[stream.length - 1].revision : null;

    const replay = this.matchEarlierAppend(stream, expected, proposed);
    if (replay === 'partial') return { kind: 'wrong_expected_version', currentRevision: current };
    if (replay)
      return {
        kind: 'already_written',
        lastRevision: replay.revision,
        lastPosition: replay.position,
      };

    const expectationHolds =
      expected === 'any' ||
      (expected === 'no_stream' && current === null) ||
      (expected === 'stream_exists' && current !== null) ||
      (typeof expected === 'bigint' && current === expected);
    if (!expectationHolds) return { kind: 'wrong_expected_version', currentRevision: current };

    if (proposed.length === 0) {
      return { kind: 'written', lastRevision: current, lastPosition: null };
    }
    const createdTicks = BigInt(Date.now()) * 10_000n;
    let revision = current ?? -1n;
    for (const event of proposed) {
      revision += 1n;
      const logged: LoggedEvent = {
        ...event,
        streamName,
        revision,
        position: this.nextPosition,
        createdTicks,
      };
      this.nextPosition += recordSize(logged);
      this.events.push(logged);
      stream.push(logged);
    }
    this.streams.set(streamName, stream);
    for (const listener of [...this.appendListeners]) listener();
    const last = stream[stream.length - 1];
    return { kind: 'written', lastRevision: last.revision, lastPosition: last.position };
  }

  /** Empties the log (system events are seeded again) and ends whatever served the old one. */
  reset(): void {
    this.events = [];
    this.streams = new Map();
    this.nextPosition = FIRST_POSITION;
    this.generation += 1;
    this.seedSystemEvents();
    for (const listener of [...this.appendListeners]) listener();
  }

  /**
   * Idempotent re-append: the proposed ids equal the events stored right after
   * the expected revision (for `any`: wherever the first id is found). Returns
   * the last matching event, 'partial' when only a prefix matches (the real
   * server refuses those), or null when nothing was written before.
   */
  private matchEarlierAppend(
    stream: readonly LoggedEvent[],
    expected: Expectation,
    proposed: ProposedEvent[],
  ): LoggedEvent | 'partial' | null {
    if (proposed.length === 0) return null;
    let start: number;
    if (typeof expected === 'bigint') start = Number(expected) + 1;
    else if (expected === 'no_stream') start = 0;
    else start = stream.findIndex((e) => e.id === proposed[0].id);
    if (start < 0 || start >= stream.length || stream[start].id !== proposed[0].id) return null;
    for (let i = 0; i < proposed.length; i++) {
      const stored = stream[start + i];
      if (!stored || stored.id !== proposed[i].id) return 'partial';
    }
    return stream[start + proposed.length - 1];
  }

  /** A few `$`-typed events in `$`-streams, as a fresh EventStoreDB has, so that filters are exercised. */
  private seedSystemEvents(): void {
    const json = (value: unknown) => encoder.encode(JSON.stringify(value));
    const seed = (streamName: string, type: string, data: unknown) =>
      this.append(streamName, 'any', [
        {
          id: randomUUID(),
          type,
          contentType: 'application/json',
          data: json(data),
          customMetadata: new Uint8Array(),
        },
      ]);
    seed('$settings', '$settings', {
      $userStreamAcl: { $r: '$all' },
      $systemStreamAcl: { $r: '$admins' },
    });
    seed('$scavenges', '$scavengeStarted', {
      scavengeId: randomUUID(),
      nodeEndpoint: '127.0.0.1:2113',
    });
    seed('$$$scavenges', '$metadata', { $maxAge: 2_592_000 });
    seed('$scavenges', '$scavengeCompleted', { result: 'Success', timeTaken: '00:00:00.0100000' });
  }
}

function recordSize(event: LoggedEvent): bigint {
  const bytes =
    encoder.encode(event.streamName).length +
    encoder.encode(event.type).length +
    event.data.length +
    event.customMetadata.length;
  // Records are 8-byte aligned here; the point is only that positions are sparse.
  return ((RECORD_HEADER_BYTES + BigInt(bytes) + 7n) / 8n) * 8n;
}
