import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openSqlite } from '@ipt/event-store';
import { verifyConsistencyProof, verifyInclusionProof } from '@ipt/audit-verifier';
import { leafHash, merkleTreeHash } from './merkle';
import {
  IncrementalMerkleTree,
  InMemoryMerkleNodeStore,
  type MerkleNode,
  type MerkleNodeStore,
} from './merkle-tree';
import { SqliteMerkleNodeStore } from './sqlite-merkle-node-store';

const leaves = (from: number, to: number): Buffer[] =>
  Array.from({ length: to - from }, (_, i) =>
    createHash('sha256')
      .update(`leaf ${from + i}`)
      .digest(),
  );

/** Counts what a tree asks of its store, to hold it to O(log n). */
class CountingStore implements MerkleNodeStore {
  reads = 0;
  writes = 0;
  constructor(private readonly inner: MerkleNodeStore) {}
  size(): number {
    return this.inner.size();
  }
  node(level: number, index: number): Buffer | undefined {
    this.reads++;
    return this.inner.node(level, index);
  }
  append(nodes: readonly MerkleNode[], newSize: number): void {
    this.writes += nodes.length;
    this.inner.append(nodes, newSize);
  }
}

describe('IncrementalMerkleTree', () => {
  it('grows by O(log n) node writes per leaf, with no reads, and proves from O(log n) reads', () => {
    const store = new CountingStore(new InMemoryMerkleNodeStore());
    const tree = new IncrementalMerkleTree(store);
    const n = 4096 + 1000;
    for (const leaf of leaves(0, n)) {
      const before = store.writes;
      tree.append(leaf);
      expect(store.writes - before).toBeLessThanOrEqual(1 + Math.log2(n));
    }
    expect(store.reads).toBe(0);
    expect(store.writes).toBeLessThan(2 * n);
    store.reads = 0;
    tree.inclusionProof(3, n);
    tree.consistencyProof(1234, n);
    tree.root(n - 7);
    expect(store.reads).toBeLessThanOrEqual(3 * 2 * Math.ceil(Math.log2(n)));
  });

  it('is the same tree whether leaves come one by one or in batches', () => {
    const single = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
    const batched = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
    const data = leaves(0, 300);
    data.forEach((leaf) => single.append(leaf));
    expect(batched.appendAll(data.slice(0, 1))).toBe(0);
    expect(batched.appendAll(data.slice(1, 77))).toBe(1);
    expect(batched.appendAll([])).toBe(77);
    expect(batched.appendAll(data.slice(77))).toBe(77);
    expect(batched.root()).toEqual(single.root());
    expect(batched.root()).toEqual(merkleTreeHash(data));
    expect(batched.leafHash(123)).toEqual(leafHash(data[123]));
  });
});

describe('SqliteMerkleNodeStore', () => {
  let directory: string;
  let file: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-audit-tree-'));
    file = path.join(directory, 'audit.sqlite');
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('survives a reopen: same size and root, old proofs reproducible, growth continues', () => {
    const first = openSqlite(file);
    const events = new IncrementalMerkleTree(new SqliteMerkleNodeStore(first, 'events'));
    const access = new IncrementalMerkleTree(new SqliteMerkleNodeStore(first, 'access'));
    events.appendAll(leaves(0, 45));
    access.appendAll(leaves(1000, 1003));
    const rootAt45 = events.root();
    const proofAt45 = events.inclusionProof(17);
    first.close();

    const second = openSqlite(file);
    const reopened = new IncrementalMerkleTree(new SqliteMerkleNodeStore(second, 'events'));
    expect(reopened.size).toBe(45);
    expect(reopened.root()).toEqual(rootAt45);
    expect(reopened.inclusionProof(17, 45)).toEqual(proofAt45);
    expect(new IncrementalMerkleTree(new SqliteMerkleNodeStore(second, 'access')).size).toBe(3);

    for (const leaf of leaves(45, 70)) reopened.append(leaf);
    expect(reopened.root()).toEqual(merkleTreeHash(leaves(0, 70)));
    const proof = reopened.consistencyProof(45, 70);
    expect(verifyConsistencyProof(45, 70, rootAt45, reopened.root(), proof)).toBe(true);
    const inclusion = reopened.inclusionProof(60);
    const leaf = leafHash(leaves(60, 61)[0]);
    expect(verifyInclusionProof(leaf, 60, 70, inclusion, reopened.root())).toBe(true);
    second.close();
  });

  it('lets a reader on another connection prove what the writer appended since it opened', () => {
    const writerDb = openSqlite(file);
    const readerDb = openSqlite(file);
    const writer = new IncrementalMerkleTree(new SqliteMerkleNodeStore(writerDb, 'events'));
    writer.appendAll(leaves(0, 10));
    const reader = new IncrementalMerkleTree(new SqliteMerkleNodeStore(readerDb, 'events'));
    expect(reader.size).toBe(10);
    writer.appendAll(leaves(10, 33));
    expect(reader.inclusionProof(31, 33)).toEqual(writer.inclusionProof(31, 33));
    expect(reader.size).toBe(33);
    expect(reader.root()).toEqual(merkleTreeHash(leaves(0, 33)));
    writer.append(leaves(33, 34)[0]);
    expect(reader.refresh()).toBe(34);
    expect(reader.root()).toEqual(writer.root());
    writerDb.close();
    readerDb.close();
  });

  it('refuses a second writer that appends behind the first one’s back, and stores nothing of it', () => {
    const db = openSqlite(file);
    const one = new IncrementalMerkleTree(new SqliteMerkleNodeStore(db, 'events'));
    const other = new IncrementalMerkleTree(new SqliteMerkleNodeStore(db, 'events'));
    one.appendAll(leaves(0, 5));
    expect(() => other.append(leaves(99, 100)[0])).toThrow(/has 5 leaves, not 0/);
    const reopened = new IncrementalMerkleTree(new SqliteMerkleNodeStore(db, 'events'));
    expect(reopened.root()).toEqual(merkleTreeHash(leaves(0, 5)));
    db.close();
  });
});
