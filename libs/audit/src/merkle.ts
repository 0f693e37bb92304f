/**
 * RFC 6962 §2.1 Merkle tree hashing over SHA-256, and its inclusion and
 * consistency proofs. Proof generation is written once over a `SubtreeHash`
 * source, so the reference (all leaves in memory) and the incremental tree
 * (stored nodes) produce proofs with the same code.
 *
 * Verification here follows the recursive definitions of RFC 6962 (rebuild
 * the roots from the proof); the offline verifier (libs/audit-verifier) uses
 * the iterative algorithms of RFC 9162 instead, so each checks the other.
 */
import { createHash } from 'node:crypto';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_TREE_ROOT: Buffer = createHash('sha256').digest();

export function leafHash(leafData: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(leafData).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The largest power of two smaller than n (n > 1): where MTH splits D[n]. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of leaves [start, end) of a tree (end > start). */
export type SubtreeHash = (start: number, end: number) => Buffer;

/** Reference MTH of a whole list of leaf data, computed recursively from every leaf. */
export function merkleTreeHash(leafData: readonly Uint8Array[]): Buffer {
  if (leafData.length === 0) return EMPTY_TREE_ROOT;
  return referenceSubtreeHash(leafData)(0, leafData.length);
}

/** A SubtreeHash over leaf data held in memory (the reference; O(n) per call). */
export function referenceSubtreeHash(leafData: readonly Uint8Array[]): SubtreeHash {
  const mth = (start: number, end: number): Buffer => {
    if (end - start === 1) return leafHash(leafData[start]);
    const k = splitPoint(end - start);
    return nodeHash(mth(start, start + k), mth(start + k, end));
  };
  return mth;
}

/** RFC 6962 §2.1.1 PATH(index, D[size]): sibling hashes from the leaf up. */
export function inclusionProofFrom(index: number, size: number, mth: SubtreeHash): Buffer[] {
  assertIndex(index, size);
  const proof: Buffer[] = [];
  const path = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, k);
      proof.push(mth(start + k, start + n));
    } else {
      path(m - k, start + k, n - k);
      proof.push(mth(start, start + k));
    }
  };
  path(index, 0, size);
  return proof;
}

/** RFC 6962 §2.1.2 PROOF(first, D[second]); empty when first is 0 or equals second. */
export function consistencyProofFrom(first: number, second: number, mth: SubtreeHash): Buffer[] {
  assertSizes(first, second);
  const proof: Buffer[] = [];
  if (first === 0) return proof;
  const subproof = (m: number, start: number, n: number, complete: boolean): void => {
    if (m === n) {
      if (!complete) proof.push(mth(start, start + n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, k, complete);
      proof.push(mth(start + k, start + n));
    } else {
      subproof(m - k, start + k, n - k, false);
      proof.push(mth(start, start + k));
    }
  };
  subproof(first, 0, second, true);
  return proof;
}

export function inclusionProof(leafData: readonly Uint8Array[], index: number): Buffer[] {
  return inclusionProofFrom(index, leafData.length, referenceSubtreeHash(leafData));
}

export function consistencyProof(leafData: readonly Uint8Array[], first: number): Buffer[] {
  return consistencyProofFrom(first, leafData.length, referenceSubtreeHash(leafData));
}

/** Rebuilds the root of D[size] from a leaf hash and its PATH; true when it equals `root`. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return false;
  }
  let next = proof.length;
  const rebuild = (m: number, n: number): Uint8Array | undefined => {
    if (n === 1) return leaf;
    if (next === 0) return undefined;
    const sibling = proof[--next];
    const k = splitPoint(n);
    const below = m < k ? rebuild(m, k) : rebuild(m - k, n - k);
    if (below === undefined) return undefined;
    return m < k ? nodeHash(below, sibling) : nodeHash(sibling, below);
  };
  const rebuilt = rebuild(index, size);
  return rebuilt !== undefined && next === 0 && sameBytes(rebuilt, root);
}

/** Rebuilds both roots from PROOF(first, D[second]); true when they equal the roots given. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0) return false;
  if (first > second) return false;
  if (first === 0) return proof.length === 0; // every tree extends the empty one
  if (first === second) return proof.length === 0 && sameBytes(firstRoot, secondRoot);
  let next = proof.length;
  // Returns [MTH of the old part, MTH of the new part] of D[start:start+n].
  const rebuild = (
    m: number,
    n: number,
    complete: boolean,
  ): [Uint8Array, Uint8Array] | undefined => {
    if (m === n) {
      if (complete) return [firstRoot, firstRoot];
      if (next === 0) return undefined;
      const subtree = proof[--next];
      return [subtree, subtree];
    }
    if (next === 0) return undefined;
    const sibling = proof[--next];
    const k = splitPoint(n);
    if (m <= k) {
      const below = rebuild(m, k, complete);
      return below && [below[0], nodeHash(below[1], sibling)];
    }
    const below = rebuild(m - k, n - k, false);
    return below && [nodeHash(sibling, below[0]), nodeHash(sibling, below[1])];
  };
  const roots = rebuild(first, second, true);
  return (
    roots !== undefined &&
    next === 0 &&
    sameBytes(roots[0], firstRoot) &&
    sameBytes(roots[1], secondRoot)
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function assertIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
  }
}

function assertSizes(first: number, second: number): void {
  if (
    !Number.isSafeInteger(first) ||
    !Number.isSafeInteger(second) ||
    first < 0 ||
    first > second
  ) {
    throw new RangeError(`no consistency proof from size ${first} to size ${second}`);
  }
}
