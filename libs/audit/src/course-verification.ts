/**
 * What `GET /v1/courses/{id}/verification` and `npm run verify` decide for one
 * course (audit.md): the chain verifies AND every event's hash is the leaf at
 * its index in the events tree of the latest checkpoint. `brokenAtRevision`
 * is the first revision failing either. The tree also knows how long the
 * stream was when it was signed, so a dropped tail is caught here.
 *
 * Events recorded after the latest checkpoint cannot be proved yet. They are
 * counted in `pending` and do not make the course invalid: the next
 * checkpoint, within CHECKPOINT_INTERVAL_MS, covers them. A caller that wants
 * the strict reading uses `valid && pending === 0`.
 */
import { hashEvent, verifyChain, type ChainBreak, type ChainedEvent } from './chain';
import { leafHash } from './merkle';
import type { MerkleTreeView } from './merkle-tree';

export interface CourseLeafIndex {
  revision: number;
  leafIndex: number;
}

export interface CourseVerification {
  valid: boolean;
  /** Events read from the store. */
  events: number;
  brokenAtRevision: number | null;
  reason: ChainBreak | 'not_in_tree' | null;
  /** Every event the checkpoint covers is the leaf at its index, and none of them is missing. */
  included: boolean;
  /** Events after the last revision the checkpoint covers. */
  pending: number;
}

/**
 * @param events the stream as stored, in store order
 * @param leaves the leaf index of each revision of this stream in the events tree
 * @param checkpointSize the events size of the latest stored checkpoint
 */
export function verifyCourse(
  events: readonly ChainedEvent[],
  leaves: readonly CourseLeafIndex[],
  tree: MerkleTreeView,
  checkpointSize: number,
): CourseVerification {
  const covered = new Map<number, number>();
  for (const { revision, leafIndex } of leaves) {
    if (leafIndex < checkpointSize) covered.set(revision, leafIndex);
  }
  const lastCovered = Math.max(-1, ...covered.keys());

  const breaks: { revision: number; reason: CourseVerification['reason'] }[] = [];
  const chain = verifyChain(events);
  if (!chain.valid) breaks.push({ revision: chain.brokenAtRevision!, reason: chain.reason });
  if (events.length <= lastCovered) {
    breaks.push({ revision: events.length, reason: 'missing_tail' });
  }
  for (const event of events) {
    if (event.revision > lastCovered) continue;
    const index = covered.get(event.revision);
    const leaf = leafHash(Buffer.from(hashEvent(event), 'hex'));
    if (index === undefined || !tree.leafHash(index).equals(leaf)) {
      breaks.push({ revision: event.revision, reason: 'not_in_tree' });
      break;
    }
  }
  const included = !breaks.some((b) => b.reason === 'not_in_tree' || b.reason === 'missing_tail');
  const first = breaks.sort((a, b) => a.revision - b.revision)[0];
  return {
    valid: first === undefined,
    events: events.length,
    brokenAtRevision: first?.revision ?? null,
    reason: first?.reason ?? null,
    included,
    pending: events.filter((event) => event.revision > lastCovered).length,
  };
}
