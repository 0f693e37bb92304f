/**
 * An append-only RFC 6962 Merkle tree that grows in O(log n) per leaf and
 * answers roots and proofs for any size up to its own from stored nodes.
 *
 * Stored nodes are the perfect subtrees: node (level, index) is the MTH of
 * leaves [index·2^level, (index+1)·2^level). Appending leaf i stores (0, i)
 * and, while the new node is a right child, its parent; so a tree of n
 * leaves stores fewer than 2n nodes and never rewrites one. The MTH of any
 * range [start, end) that the RFC algorithms ask for splits into at most
 * log₂ n such stored nodes, so a root or a proof costs O(log n) reads.
 */
import {
  consistencyProofFrom,
  EMPTY_TREE_ROOT,
  inclusionProofFrom,
  leafHash,
  nodeHash,
  splitPoint,
  type SubtreeHash,
} from './merkle';

export interface MerkleNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * Where a tree keeps its nodes. Synchronous on purpose: appends and proofs
 * run on the hot path, and both stores (memory, SQLite through the driver port)
 * are synchronous.
 */
export interface MerkleNodeStore {
  /** Leaves stored so far. */
  size(): number;
  /** A stored perfect-subtree hash, or undefined. */
  node(level: number, index: number): Buffer | undefined;
  /**
   * Stores the nodes of leaves [size(), newSize) and the new size, all or
   * nothing (a crash must never leave a size whose nodes are missing).
   */
  append(nodes: readonly MerkleNode[], newSize: number): void;
}

export class InMemoryMerkleNodeStore implements MerkleNodeStore {
  private readonly levels: Buffer[][] = [];
  private leaves = 0;

  size(): number {
    return this.leaves;
  }

  node(level: number, index: number): Buffer | undefined {
    return this.levels[level]?.[index];
  }

  append(nodes: readonly MerkleNode[], newSize: number): void {
    for (const { level, index, hash } of nodes) (this.levels[level] ??= [])[index] = hash;
    this.leaves = newSize;
  }
}

export class IncrementalMerkleTree {
  /** frontier[level]: the perfect subtree of that height in the current size's decomposition. */
  private readonly frontier: (Buffer | undefined)[] = [];
  private leaves: number;

  constructor(private readonly store: MerkleNodeStore) {
    this.leaves = 0;
    this.refresh();
  }

  /**
   * Rereads the size and the frontier from the store: for a reader whose
   * tree another process grows (the API reading what the projector wrote).
   * Roots and proofs for a size beyond the known one call it themselves.
   */
  refresh(): number {
    const size = this.store.size();
    const frontier: Buffer[] = [];
    let offset = 0;
    for (let level = 52; level >= 0; level--) {
      const width = 2 ** level;
      if (Math.floor(size / width) % 2 === 1) {
        frontier[level] = this.storedNode(level, offset / width);
        offset += width;
      }
    }
    this.frontier.splice(0, this.frontier.length, ...frontier);
    this.leaves = size;
    return size;
  }

  get size(): number {
    return this.leaves;
  }

  /** Appends one leaf (its data, e.g. the 32 bytes of an event hash); returns its index. */
  append(leafData: Uint8Array): number {
    return this.appendAll([leafData]);
  }

  /** Appends leaves in order, stored in one write; returns the index of the first. */
  appendAll(leafData: readonly Uint8Array[]): number {
    const first = this.leaves;
    if (leafData.length === 0) return first;
    const frontier = [...this.frontier];
    const nodes: MerkleNode[] = [];
    let size = first;
    for (const data of leafData) {
      let hash = leafHash(data);
      let level = 0;
      let index = size;
      nodes.push({ level, index, hash });
      // A right child completes its parent; carry up while it does.
      while (index % 2 === 1) {
        hash = nodeHash(frontier[level]!, hash);
        frontier[level] = undefined;
        level++;
        index = (index - 1) / 2;
        nodes.push({ level, index, hash });
      }
      frontier[level] = hash;
      size++;
    }
    this.store.append(nodes, size);
    this.frontier.splice(0, this.frontier.length, ...frontier);
    this.leaves = size;
    return first;
  }

  /** MTH of the first `size` leaves (default: all). */
  root(size: number = this.leaves): Buffer {
    this.assertSize(size);
    if (size === 0) return EMPTY_TREE_ROOT;
    if (size === this.leaves) {
      // Fold the frontier from the smallest subtree up: no reads.
      let hash: Buffer | undefined;
      for (let level = 0; level < this.frontier.length; level++) {
        const subtree = this.frontier[level];
        if (subtree) hash = hash ? nodeHash(subtree, hash) : subtree;
      }
      return hash!;
    }
    return this.subtreeHash(0, size);
  }

  /** The leaf hash stored at `index`. */
  leafHash(index: number): Buffer {
    if (Number.isSafeInteger(index) && index >= this.leaves) this.refresh();
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.leaves) {
      throw new RangeError(`no leaf ${index} in a tree of size ${this.leaves}`);
    }
    return this.storedNode(0, index);
  }

  /** RFC 6962 PATH(index, D[size]) for any size up to the current one. */
  inclusionProof(index: number, size: number = this.leaves): Buffer[] {
    this.assertSize(size);
    return inclusionProofFrom(index, size, this.subtreeHash);
  }

  /** RFC 6962 PROOF(first, D[second]) for any sizes up to the current one. */
  consistencyProof(first: number, second: number = this.leaves): Buffer[] {
    this.assertSize(second);
    return consistencyProofFrom(first, second, this.subtreeHash);
  }

  /** MTH of leaves [start, end): stored when perfect and aligned, else split as MTH splits. */
  private readonly subtreeHash: SubtreeHash = (start, end) => {
    const width = end - start;
    const level = Math.log2(width);
    if (Number.isInteger(level) && start % width === 0)
      return this.storedNode(level, start / width);
    const k = splitPoint(width);
    return nodeHash(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  };

  private storedNode(level: number, index: number): Buffer {
    const hash = this.store.node(level, index);
    if (!hash) throw new Error(`Merkle node store is missing node (${level}, ${index})`);
    return hash;
  }

  private assertSize(size: number): void {
    if (Number.isSafeInteger(size) && size > this.leaves) this.refresh();
    if (!Number.isSafeInteger(size) || size < 0 || size > this.leaves) {
      throw new RangeError(`size ${size} is beyond the tree's ${this.leaves} leaves`);
    }
  }
}
