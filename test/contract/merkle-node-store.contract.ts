/**
 * The contract of the Merkle node store (libs/audit merkle-tree.ts): a tree
 * appended through one handle is read, through MerkleTreeReader, from another
 * (another process) with the roots and proofs of RFC 6962's reference
 * algorithms, each question answered from one read of at most O(log n) nodes.
 * Run on each adapter: SQLite (the embedded mode) and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import {
  EMPTY_TREE_ROOT,
  MerkleTreeReader,
  consistencyProof,
  inclusionProof,
  merkleTreeHash,
  type MerkleNodeReader,
  type NodeKey,
} from '@ipt/audit';

export interface MerkleNodeStoreFixture {
  /** A tree named `tree`, appended and read through two handles (two processes). */
  open(tree: string): Promise<{
    /** Appends leaves in one transaction through handle 0 or 1; resolves once committed. */
    append(handle: 0 | 1, leafData: Buffer[]): Promise<void>;
    /** The node reader of handle 0 or 1. */
    reader(handle: 0 | 1): MerkleNodeReader;
  }>;
  close(): Promise<void>;
}

const leaf = (i: number, tag = 'leaf') => createHash('sha256').update(`${tag} ${i}`).digest();
const hex = (hashes: Buffer[]) => hashes.map((h) => h.toString('hex'));

/** Counts the reads a reader makes of its store and the nodes each asks for. */
function counting(inner: MerkleNodeReader) {
  const reads: number[] = [];
  const reader: MerkleNodeReader = {
    size: () => inner.size(),
    nodes: (keys: readonly NodeKey[]) => {
      reads.push(keys.length);
      return inner.nodes(keys);
    },
  };
  return { reader, reads };
}

export function merkleNodeStoreContract(name: string, fixture: MerkleNodeStoreFixture): void {
  describe(`Merkle node store: ${name}`, () => {
    afterAll(() => fixture.close());

    it('reads an empty tree as size 0 with the empty root', async () => {
      const tree = await fixture.open('empty');
      const reader = new MerkleTreeReader(tree.reader(1));
      expect(await reader.size()).toBe(0);
      expect((await reader.root(0)).equals(EMPTY_TREE_ROOT)).toBe(true);
      await expect(reader.root(1)).rejects.toThrow(RangeError);
    });

    it('gives, from the other handle, the reference roots and proofs at every size', async () => {
      const tree = await fixture.open('grown');
      const reader = new MerkleTreeReader(tree.reader(1));
      const data: Buffer[] = [];
      // Batches of uneven sizes, from both handles: every shape of frontier is extended.
      for (const [k, count] of [1, 1, 2, 3, 5, 8, 13, 1, 7].entries()) {
        const batch = Array.from({ length: count }, (_, i) => leaf(data.length + i));
        await tree.append((k % 2) as 0 | 1, batch);
        data.push(...batch);
        expect(await reader.size()).toBe(data.length);
      }
      const n = data.length;
      const view = await reader.view(n, {
        roots: Array.from({ length: n + 1 }, (_, s) => s),
        leaves: Array.from({ length: n }, (_, i) => i),
      });
      for (let size = 0; size <= n; size++)
        expect(view.root(size).toString('hex')).toBe(
          merkleTreeHash(data.slice(0, size)).toString('hex'),
        );
      for (let i = 0; i < n; i++)
        expect(view.leafHash(i).toString('hex')).toBe(
          createHash('sha256')
            .update(Buffer.from([0]))
            .update(data[i])
            .digest('hex'),
        );
      for (const size of [1, 2, 7, 16, 23, n]) {
        const indexes = Array.from({ length: size }, (_, i) => i);
        const proofs = await reader.view(size, { inclusion: { indexes, size } });
        for (const i of indexes)
          expect(hex(proofs.inclusionProof(i, size))).toEqual(
            hex(inclusionProof(data.slice(0, size), i)),
          );
        for (let first = 0; first <= size; first++)
          expect(hex(await reader.consistencyProof(first, size))).toEqual(
            hex(consistencyProof(data.slice(0, size), first)),
          );
      }
    });

    it('answers each question from one read of at most O(log n) nodes', async () => {
      const tree = await fixture.open('logarithmic');
      const data = Array.from({ length: 1000 }, (_, i) => leaf(i, 'log'));
      for (let start = 0; start < data.length; start += 250)
        await tree.append(0, data.slice(start, start + 250));
      const { reader: store, reads } = counting(tree.reader(1));
      const reader = new MerkleTreeReader(store);
      expect(hex([await reader.root(999)])).toEqual(hex([merkleTreeHash(data.slice(0, 999))]));
      expect(hex(await reader.inclusionProof(517, 1000))).toEqual(hex(inclusionProof(data, 517)));
      expect(hex(await reader.consistencyProof(333, 1000))).toEqual(
        hex(consistencyProof(data, 333)),
      );
      expect(reads).toHaveLength(3);
      // log2(1000) < 10: a root, a path or a consistency proof needs at most 2·10 stored nodes.
      for (const nodes of reads) expect(nodes).toBeLessThanOrEqual(20);
    });

    it('refuses a size beyond the stored tree, and a question the view was not loaded for', async () => {
      const tree = await fixture.open('bounded');
      await tree.append(0, [leaf(0), leaf(1), leaf(2)]);
      const reader = new MerkleTreeReader(tree.reader(1));
      await expect(reader.root(4)).rejects.toThrow(RangeError);
      await expect(reader.inclusionProof(3, 3)).rejects.toThrow(RangeError);
      const view = await reader.view(3, { roots: [3] });
      expect(() => view.leafHash(1)).toThrow(/not loaded/);
    });

    it('keeps one gap-free tree when two handles append at the same time', async () => {
      const tree = await fixture.open('concurrent');
      const batches = Array.from({ length: 8 }, (_, k) =>
        Array.from({ length: 3 }, (_, i) => leaf(k * 3 + i, 'concurrent')),
      );
      await Promise.all(batches.map((batch, k) => tree.append((k % 2) as 0 | 1, batch)));
      const reader = new MerkleTreeReader(tree.reader(0));
      expect(await reader.size()).toBe(24);
      // Batches land whole, in some order: the tree is the reference tree of that order.
      const view = await reader.view(24, { leaves: Array.from({ length: 24 }, (_, i) => i) });
      const byLeafHash = new Map(
        batches.map((batch) => [
          createHash('sha256')
            .update(Buffer.from([0]))
            .update(batch[0])
            .digest('hex'),
          batch,
        ]),
      );
      const order: Buffer[] = [];
      for (let i = 0; i < 24; i += 3) {
        const batch = byLeafHash.get(view.leafHash(i).toString('hex'));
        expect(batch).toBeDefined();
        order.push(...batch!);
      }
      expect((await reader.root(24)).toString('hex')).toBe(merkleTreeHash(order).toString('hex'));
    });
  });
}
