/**
 * The per-course hash chain (audit.md §1). Each event's metadata carries
 * `prevHash` (the previous event's `hash`, 64 zeros at revision 0) and `hash`
 * over `{streamId, revision, eventId, type, data, metadata}` with the data as
 * stored and the metadata without `hash`.
 */
import { canonicalHash, GENESIS_HASH, isHexHash } from './hashing';

/** What the chain covers of an event: the stored fields (extra fields such as `position` are ignored). */
export interface ChainedEvent {
  streamId: string;
  revision: number;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export function hashEvent(event: ChainedEvent): string {
  const { hash: _hash, ...metadata } = event.metadata;
  return canonicalHash({
    streamId: event.streamId,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    data: event.data,
    metadata,
  });
}

/**
 * The metadata to store for an event about to be appended: its own metadata
 * plus `prevHash` and `hash`. For a batch, pass each result's `hash` as the
 * next event's `prevHash`.
 */
export function sealEventMetadata(event: ChainedEvent, prevHash: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...event.metadata, prevHash };
  delete metadata.hash;
  return { ...metadata, hash: hashEvent({ ...event, metadata }) };
}

/** Seals consecutive events of one stream; `prevHash` is the hash of the stream's last stored event. */
export function sealEvents<E extends ChainedEvent>(events: readonly E[], prevHash: string): E[] {
  let previous = prevHash;
  return events.map((event) => {
    const metadata = sealEventMetadata(event, previous);
    previous = metadata.hash as string;
    return { ...event, metadata };
  });
}

export type ChainBreak =
  /** The stored `hash` is not the hash of the stored event (content changed, or no hash). */
  | 'hash_mismatch'
  /** The stored `prevHash` is not the previous event's hash (an event before it is missing or moved). */
  | 'prev_hash_mismatch'
  /** The revision is not the next one (an event is missing, duplicated or out of order). */
  | 'revision_gap'
  /** The event belongs to another stream. */
  | 'stream_mismatch'
  /** The stream ends before the expected head (its tail was dropped). */
  | 'missing_tail'
  /** The stream goes on past the expected head. */
  | 'beyond_head'
  /** The last event's hash differs from the expected head's. */
  | 'head_mismatch';

export interface ChainVerification {
  valid: boolean;
  /** The first revision where the stored stream differs from its chain; null when valid. */
  brokenAtRevision: number | null;
  reason: ChainBreak | null;
  /** Events checked before the break (all of them when valid). */
  verified: number;
}

export interface VerifyChainOptions {
  /** Revision of the first event given (default 0). */
  fromRevision?: number;
  /** The `hash` of the event before `fromRevision` (default: 64 zeros). */
  prevHash?: string;
  /**
   * The stream's last event as known elsewhere, e.g. from the Merkle tree: a chain that
   * merely stops early is valid on its own, so a dropped tail is only caught
   * against an expected head.
   */
  expectedHead?: { revision: number; hash?: string };
}

/**
 * Recomputes the chain in the order given (the order the store returns the
 * stream) and reports the first revision that does not hold. For a missing
 * event, that is the missing revision: the revision expected at that place.
 */
export function verifyChain(
  events: readonly ChainedEvent[],
  options: VerifyChainOptions = {},
): ChainVerification {
  const streamId = events[0]?.streamId;
  let expectedRevision = options.fromRevision ?? 0;
  let previous = options.prevHash ?? GENESIS_HASH;
  const broken = (reason: ChainBreak, verified: number): ChainVerification => ({
    valid: false,
    brokenAtRevision: expectedRevision,
    reason,
    verified,
  });
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event.streamId !== streamId) return broken('stream_mismatch', i);
    if (event.revision !== expectedRevision) return broken('revision_gap', i);
    const stored = event.metadata.hash;
    if (!isHexHash(stored) || stored !== hashEvent(event)) return broken('hash_mismatch', i);
    if (event.metadata.prevHash !== previous) return broken('prev_hash_mismatch', i);
    previous = stored;
    expectedRevision++;
  }
  const head = options.expectedHead;
  if (head) {
    if (expectedRevision <= head.revision) return broken('missing_tail', events.length);
    if (expectedRevision - 1 > head.revision) {
      expectedRevision = head.revision + 1;
      return broken('beyond_head', head.revision + 1 - (options.fromRevision ?? 0));
    }
    if (head.hash !== undefined && head.hash !== previous) {
      expectedRevision = head.revision;
      return broken('head_mismatch', events.length - 1);
    }
  }
  return { valid: true, brokenAtRevision: null, reason: null, verified: events.length };
}
