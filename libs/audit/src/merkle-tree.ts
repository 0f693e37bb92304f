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

/**
 * What reads a tree needs, synchronously: the incremental tree itself, or a
 * view that a MerkleTreeReader loaded for a known set of questions.
 */
export interface MerkleTreeView {
  readonly size: number;
  root(size?: number): Buffer;
  leafHash(index: number): Buffer;
  inclusionProof(index: number, size?: number): Buffer[];
  consistencyProof(first: number, second?: number): Buffer[];
}

export class IncrementalMerkleTree implements MerkleTreeView {
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
    for (const { level, index } of frontierKeys(size))
      frontier[level] = this.storedNode(level, index);
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
    const grown = nodesOfAppend(first, this.frontier, leafData);
    this.store.append(grown.nodes, grown.size);
    this.frontier.splice(0, this.frontier.length, ...grown.frontier);
    this.leaves = grown.size;
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

/**
 * The frontier of a tree of `size` leaves: frontier[level] is the perfect
 * subtree of that height in its decomposition (what the next appends extend).
 */
export function frontierKeys(size: number): NodeKey[] {
  const keys: NodeKey[] = [];
  let offset = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (Math.floor(size / width) % 2 === 1) {
      keys.push({ level, index: offset / width });
      offset += width;
    }
  }
  return keys;
}

/**
 * Appending leaves to a tree of `size` leaves whose frontier is `frontier`
 * (by level): the nodes to store (each leaf, and each parent a right child
 * completes), the new frontier and size. Pure: every store appends with it.
 */
export function nodesOfAppend(
  size: number,
  frontier: readonly (Buffer | undefined)[],
  leafData: readonly Uint8Array[],
): { nodes: MerkleNode[]; frontier: (Buffer | undefined)[]; size: number } {
  const next = [...frontier];
  const nodes: MerkleNode[] = [];
  let leaves = size;
  for (const data of leafData) {
    let hash = leafHash(data);
    let level = 0;
    let index = leaves;
    nodes.push({ level, index, hash });
    // A right child completes its parent; carry up while it does.
    while (index % 2 === 1) {
      hash = nodeHash(next[level]!, hash);
      next[level] = undefined;
      level++;
      index = (index - 1) / 2;
      nodes.push({ level, index, hash });
    }
    next[level] = hash;
    leaves++;
  }
  return { nodes, frontier: next, size: leaves };
}

export interface NodeKey {
  level: number;
  index: number;
}

/**
 * Where an asynchronous reader finds a tree's nodes: PostgreSQL, or a
 * synchronous store through syncNodeReader (its answers already resolved).
 */
export interface MerkleNodeReader {
  /** Leaves stored so far. */
  size(): Promise<number>;
  /** The stored nodes asked for, read together (one query); undefined where missing. */
  nodes(keys: readonly NodeKey[]): Promise<(Buffer | undefined)[]>;
}

/** A synchronous store (memory, SQLite) as a MerkleNodeReader: no I/O beyond its own reads. */
export function syncNodeReader(store: MerkleNodeStore): MerkleNodeReader {
  return {
    size: () => Promise.resolve(store.size()),
    nodes: (keys) => Promise.resolve(keys.map(({ level, index }) => store.node(level, index))),
  };
}

/** The questions a MerkleTreeReader's view answers; anything else is refused. */
export interface MerkleTreeQuestions {
  roots?: readonly number[];
  leaves?: readonly number[];
  inclusion?: { indexes: readonly number[]; size: number };
  consistency?: readonly (readonly [first: number, second: number])[];
}

/** The stored nodes whose hashes make up MTH of leaves [start, end) (as the tree splits it). */
function storedNodesOf(start: number, end: number, out: NodeKey[]): void {
  const width = end - start;
  const level = Math.log2(width);
  if (Number.isInteger(level) && start % width === 0) {
    out.push({ level, index: start / width });
    return;
  }
  const k = splitPoint(width);
  storedNodesOf(start, start + k, out);
  storedNodesOf(start + k, end, out);
}

const nodeId = (level: number, index: number) => `${level}:${index}`;

/**
 * Roots and proofs of a tree whose nodes are read asynchronously (another
 * process appends them). A question first works out which stored nodes it
 * needs (at most O(log n) per root or proof) and reads them all in one
 * round trip; then the RFC 6962 algorithms run over what was read.
 */
export class MerkleTreeReader {
  constructor(private readonly store: MerkleNodeReader) {}

  /** Leaves stored now. */
  size(): Promise<number> {
    return this.store.size();
  }

  /**
   * A view of the tree at `size` (at most the stored size) that answers the
   * given questions from one read of the nodes; other questions throw.
   */
  async view(size: number, questions: MerkleTreeQuestions): Promise<MerkleTreeView> {
    assertSafeSize(size);
    const keys: NodeKey[] = [];
    const recorder: SubtreeHash = (start, end) => {
      storedNodesOf(start, end, keys);
      return EMPTY_TREE_ROOT;
    };
    for (const s of questions.roots ?? []) {
      assertWithin(s, size);
      if (s > 0) storedNodesOf(0, s, keys);
    }
    for (const index of questions.leaves ?? []) {
      assertLeaf(index, size);
      keys.push({ level: 0, index });
    }
    if (questions.inclusion) {
      assertWithin(questions.inclusion.size, size);
      for (const index of questions.inclusion.indexes)
        inclusionProofFrom(index, questions.inclusion.size, recorder);
    }
    for (const [first, second] of questions.consistency ?? []) {
      assertWithin(second, size);
      consistencyProofFrom(first, second, recorder);
    }
    const unique = new Map(keys.map((key) => [nodeId(key.level, key.index), key]));
    const wanted = [...unique.values()];
    const hashes = wanted.length > 0 ? await this.store.nodes(wanted) : [];
    const found = new Map<string, Buffer>();
    wanted.forEach((key, i) => {
      const hash = hashes[i];
      if (!hash) {
        throw new RangeError(
          `Merkle node (${key.level}, ${key.index}) is not stored: size ${size} is beyond the tree?`,
        );
      }
      found.set(nodeId(key.level, key.index), hash);
    });
    return loadedView(size, found);
  }

  async root(size: number): Promise<Buffer> {
    return (await this.view(size, { roots: [size] })).root(size);
  }

  async leafHash(index: number, size: number): Promise<Buffer> {
    return (await this.view(size, { leaves: [index] })).leafHash(index);
  }

  async inclusionProof(index: number, size: number): Promise<Buffer[]> {
    return (await this.view(size, { inclusion: { indexes: [index], size } })).inclusionProof(
      index,
      size,
    );
  }

  async consistencyProof(first: number, second: number): Promise<Buffer[]> {
    return (await this.view(second, { consistency: [[first, second]] })).consistencyProof(
      first,
      second,
    );
  }
}

function loadedView(size: number, found: Map<string, Buffer>): MerkleTreeView {
  const stored = (level: number, index: number): Buffer => {
    const hash = found.get(nodeId(level, index));
    if (!hash) throw new Error(`node (${level}, ${index}) was not loaded for this question`);
    return hash;
  };
  const mth: SubtreeHash = (start, end) => {
    const width = end - start;
    const level = Math.log2(width);
    if (Number.isInteger(level) && start % width === 0) return stored(level, start / width);
    const k = splitPoint(width);
    return nodeHash(mth(start, start + k), mth(start + k, end));
  };
  return {
    size,
    root: (s = size) => {
      assertWithin(s, size);
      return s === 0 ? EMPTY_TREE_ROOT : mth(0, s);
    },
    leafHash: (index) => {
      assertLeaf(index, size);
      return stored(0, index);
    },
    inclusionProof: (index, s = size) => {
      assertWithin(s, size);
      return inclusionProofFrom(index, s, mth);
    },
    consistencyProof: (first, second = size) => {
      assertWithin(second, size);
      return consistencyProofFrom(first, second, mth);
    },
  };
}

function assertSafeSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size ${size} is not a size`);
}

function assertWithin(size: number, limit: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > limit) {
    throw new RangeError(`size ${size} is beyond the tree's ${limit} leaves`);
  }
}

function assertLeaf(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  }
}
