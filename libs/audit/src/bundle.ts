/**
 * The audit bundle (audit.md, "An audit bundle"): one JSON document with
 * everything an offline verifier needs for one course. This is the pure
 * part: the caller reads the events, the leaf indexes and the latest
 * checkpoint; `courseLeaves` and `consistencyFor` compute the proofs from
 * the tree.
 */
import type { JsonWebKey } from 'node:crypto';
import type { ChainedEvent } from './chain';
import type { SignedCheckpoint } from './checkpoint';
import type { MerkleTreeView } from './merkle-tree';

export const AUDIT_BUNDLE_FORMAT = 'ipt-audit-bundle/1';

/** An event as the store holds it; `position` and `created` are kept when given. */
export interface StoredEventInput extends ChainedEvent {
  position?: bigint | number | string;
  created?: Date | string;
}

export interface BundleEvent extends ChainedEvent {
  /** Decimal string: global-log positions may exceed 2^53. */
  position?: string;
  created?: string;
}

export interface BundleLeaf {
  revision: number;
  leafIndex: number;
  inclusionProof: string[];
}

export interface ConsistencyProof {
  first: number;
  second: number;
  proof: string[];
}

export interface AuditBundle {
  format: typeof AUDIT_BUNDLE_FORMAT;
  courseId: string;
  events: BundleEvent[];
  leaves: BundleLeaf[];
  checkpoint: SignedCheckpoint['checkpoint'];
  signature: string;
  keyId: string;
  publicKey: JsonWebKey;
  consistency?: ConsistencyProof;
}

export interface AuditBundleInput {
  courseId: string;
  events: readonly StoredEventInput[];
  leaves: readonly BundleLeaf[];
  signedCheckpoint: SignedCheckpoint;
  publicKey: JsonWebKey;
  consistency?: ConsistencyProof;
}

/**
 * Inclusion proofs, in the tree at `size` (the checkpoint's events size), of
 * the course's leaves that the checkpoint covers; later ones are left out.
 */
export function courseLeaves(
  tree: MerkleTreeView,
  entries: readonly { revision: number; leafIndex: number }[],
  size: number,
): BundleLeaf[] {
  const covered = entries.filter((entry) => entry.leafIndex < size);
  return covered.map(({ revision, leafIndex }) => ({
    revision,
    leafIndex,
    inclusionProof: tree.inclusionProof(leafIndex, size).map((hash) => hash.toString('hex')),
  }));
}

export function consistencyFor(
  tree: MerkleTreeView,
  first: number,
  second: number,
): ConsistencyProof {
  const proof = tree.consistencyProof(first, second).map((hash) => hash.toString('hex'));
  return { first, second, proof };
}

/**
 * Assembles the bundle. It does not verify (that is the verifier's job) and
 * passes on whatever the store and the tree hold, except:
 * - events after the last revision the checkpoint covers are left out: they
 *   cannot be proved until the next checkpoint;
 * - a leaf whose event the store no longer gives is kept, so the verifier
 *   reports the missing event;
 * - a leaf beyond the checkpoint, or a consistency proof to another size,
 *   would fail for a reason of our own making, so it is refused.
 */
export function buildAuditBundle(input: AuditBundleInput): AuditBundle {
  const { checkpoint, signature, keyId } = input.signedCheckpoint;
  const size = checkpoint.events.size;
  const lastCovered = Math.max(-1, ...input.leaves.map((leaf) => leaf.revision));
  for (const leaf of input.leaves) {
    if (leaf.leafIndex >= size) {
      throw new Error(`leaf ${leaf.leafIndex} is beyond the checkpoint's ${size} events`);
    }
  }
  if (input.consistency && input.consistency.second !== size) {
    throw new Error('the consistency proof must end at the checkpoint size');
  }
  const bundle: AuditBundle = {
    format: AUDIT_BUNDLE_FORMAT,
    courseId: input.courseId,
    events: input.events.filter((event) => event.revision <= lastCovered).map(bundleEvent),
    leaves: [...input.leaves].sort((a, b) => a.revision - b.revision),
    checkpoint,
    signature,
    keyId,
    publicKey: input.publicKey,
  };
  if (input.consistency) bundle.consistency = input.consistency;
  return bundle;
}

function bundleEvent(event: StoredEventInput): BundleEvent {
  const out: BundleEvent = {
    streamId: event.streamId,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  };
  if (event.position !== undefined) out.position = String(event.position);
  if (event.created !== undefined) {
    out.created = event.created instanceof Date ? event.created.toISOString() : event.created;
  }
  return out;
}
