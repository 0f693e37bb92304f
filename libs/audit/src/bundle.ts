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
import type { IncrementalMerkleTree } from './merkle-tree';

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

/** Inclusion proofs of the given leaves in the tree at `size` (the checkpoint's events size). */
export function courseLeaves(
  tree: IncrementalMerkleTree,
  entries: readonly { revision: number; leafIndex: number }[],
  size: number,
): BundleLeaf[] {
  return entries.map(({ revision, leafIndex }) => ({
    revision,
    leafIndex,
    inclusionProof: tree.inclusionProof(leafIndex, size).map((hash) => hash.toString('hex')),
  }));
}

export function consistencyFor(
  tree: IncrementalMerkleTree,
  first: number,
  second: number,
): ConsistencyProof {
  const proof = tree.consistencyProof(first, second).map((hash) => hash.toString('hex'));
  return { first, second, proof };
}

/**
 * Assembles the bundle. It refuses inputs that could only produce a bundle
 * failing for reasons of our own making (a leaf beyond the checkpoint, a
 * consistency proof to another size, a leaf for no event); it does not
 * verify: that is the verifier's job.
 */
export function buildAuditBundle(input: AuditBundleInput): AuditBundle {
  const { checkpoint, signature, keyId } = input.signedCheckpoint;
  const size = checkpoint.events.size;
  const revisions = new Set(input.events.map((event) => event.revision));
  for (const leaf of input.leaves) {
    if (!revisions.has(leaf.revision)) {
      throw new Error(`leaf for revision ${leaf.revision}, which is not in the bundle`);
    }
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
    events: input.events.map(bundleEvent),
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
