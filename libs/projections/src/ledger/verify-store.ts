/**
 * `npm run verify`, the part that decides (audit.md, "The verifier"): every
 * stored checkpoint is signed by the key and given again by the events tree,
 * and every course stream's chain holds and its events are the leaves the
 * latest checkpoint covers. Reads only: it can run beside the service.
 */
import {
  verifyCheckpoint,
  verifyCourse,
  type CourseVerification,
  type AuditPublicKey,
} from '@ipt/audit';
import type { EventStore } from '@ipt/event-store';
import {
  checkTreeAgainst,
  checkpointsAfter,
  type CheckpointLog,
  type StoredCheckpoint,
} from './checkpoints';
import { courseLeavesView, type EventsLedger } from './events-tree';

export interface StoreVerificationInput {
  store: EventStore;
  ledger: EventsLedger;
  checkpoints: CheckpointLog;
  publicKey: AuditPublicKey;
  streamPrefix: string;
  /** Called after each stream, with the streams done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface BrokenStream {
  streamId: string;
  brokenAtRevision: number | null;
  reason: CourseVerification['reason'];
}

export interface StoreVerification {
  valid: boolean;
  checkpoint: StoredCheckpoint | null;
  checkpoints: { checked: number; problems: string[] };
  streams: { checked: number; events: number; pending: number; broken: BrokenStream[] };
}

export async function verifyStore(input: StoreVerificationInput): Promise<StoreVerification> {
  const { store, ledger, checkpoints, publicKey } = input;
  const problems: string[] = [];
  const stored: StoredCheckpoint[] = [];
  for await (const checkpoint of checkpointsAfter(checkpoints)) stored.push(checkpoint);
  let previous: StoredCheckpoint | undefined;
  for (const checkpoint of stored) {
    if (!verifyCheckpoint(checkpoint, publicKey.jwk)) {
      problems.push(
        `checkpoint ${checkpoint.sequence}: signature does not verify with key ${publicKey.keyId}`,
      );
    }
    if (previous && checkpoint.checkpoint.events.size < previous.checkpoint.events.size) {
      problems.push(`checkpoint ${checkpoint.sequence}: the events tree shrank`);
    }
    previous = checkpoint;
  }
  const latest = stored[stored.length - 1] ?? null;
  const treeSize = await ledger.tree.size();
  if (latest && latest.checkpoint.events.size > treeSize) {
    problems.push(
      `the events tree has ${treeSize} leaves, fewer than the ${latest.checkpoint.events.size} of checkpoint ${latest.sequence}`,
    );
  }
  const tree = await checkTreeAgainst(ledger.tree, stored);
  if (!tree.consistent) {
    const b = tree.brokenAt!;
    problems.push(
      `checkpoint ${b.sequence}: the events tree at size ${b.size} has root ${b.actual}, the checkpoint signed ${b.expected}`,
    );
  }

  // Every stream the tree knows, and every stream the store holds (events not yet in the tree).
  const streams = new Set(await ledger.streams());
  for await (const streamId of storeStreams(store, input.streamPrefix)) streams.add(streamId);
  const total = streams.size;
  const size = latest?.checkpoint.events.size ?? 0;
  const broken: BrokenStream[] = [];
  let done = 0;
  let events = 0;
  let pending = 0;
  for (const streamId of [...streams].sort()) {
    const stream = await store.readStream(streamId);
    const leaves = await ledger.leavesOf(streamId);
    const view = await courseLeavesView(ledger, leaves, Math.min(size, treeSize));
    const result = verifyCourse(stream, leaves, view, size);
    events += result.events;
    pending += result.pending;
    if (!result.valid) {
      broken.push({ streamId, brokenAtRevision: result.brokenAtRevision, reason: result.reason });
    }
    input.onProgress?.(++done, total);
  }
  return {
    valid: problems.length === 0 && broken.length === 0,
    checkpoint: latest,
    checkpoints: { checked: stored.length, problems },
    streams: { checked: total, events, pending, broken },
  };
}

/** The distinct streams of the global log, read in pages. */
async function* storeStreams(store: EventStore, prefix: string): AsyncGenerator<string> {
  const seen = new Set<string>();
  let from: bigint | undefined;
  for (;;) {
    const page = await store.readAll({
      fromPosition: from,
      maxCount: 5000,
      streamPrefixes: [prefix],
    });
    for (const event of page) {
      if (!seen.has(event.streamId)) {
        seen.add(event.streamId);
        yield event.streamId;
      }
    }
    if (page.length < 5000) return;
    // Inclusive start at the last position read (EventStoreDB positions are not dense).
    from = page[page.length - 1].position;
  }
}
