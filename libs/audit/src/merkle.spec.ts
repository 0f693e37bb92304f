import { createHash } from 'node:crypto';
import * as verifier from '@ipt/audit-verifier';
import {
  consistencyProof,
  EMPTY_TREE_ROOT,
  inclusionProof,
  merkleTreeHash,
  verifyConsistency,
  verifyInclusion,
  leafHash,
} from './merkle';
import { IncrementalMerkleTree, InMemoryMerkleNodeStore } from './merkle-tree';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Published RFC 6962 test data (Certificate Transparency): leaf inputs and the roots of sizes 1..8. */
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** Leaf data as the events tree holds it: 32-byte event hashes. */
const eventHashes = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => createHash('sha256').update(`event ${i}`).digest());

/**
 * One single-byte change per hash of a proof. The byte changed moves with
 * `salt` (the sizes of the case), so over the whole suite every byte position
 * of every proof element is changed somewhere.
 */
function* tamperedCopies(hashes: readonly Buffer[], salt: number): Generator<Buffer[]> {
  for (let i = 0; i < hashes.length; i++) {
    const copy = hashes.map((h) => Buffer.from(h));
    copy[i][(salt + i * 11) % 32] ^= 0x01;
    yield copy;
  }
}

function same(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((hash, i) => hash.equals(b[i]));
}

function flip(hash: Buffer, at = 7): Buffer {
  const copy = Buffer.from(hash);
  copy[at] ^= 0x80;
  return copy;
}

describe('RFC 6962 Merkle tree hash', () => {
  it('matches the published roots of sizes 0..8, recursively and incrementally', () => {
    expect(hex(merkleTreeHash([]))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    const tree = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
    expect(tree.root()).toEqual(EMPTY_TREE_ROOT);
    CT_LEAVES.forEach((leaf, i) => {
      tree.append(leaf);
      expect(hex(merkleTreeHash(CT_LEAVES.slice(0, i + 1)))).toBe(CT_ROOTS[i]);
      expect(hex(tree.root())).toBe(CT_ROOTS[i]);
    });
    CT_ROOTS.forEach((root, i) => expect(hex(tree.root(i + 1))).toBe(root));
  });

  it('gives the published inclusion proof of leaf 0 in the tree of 8', () => {
    expect(inclusionProof(CT_LEAVES, 0).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });
});

describe('proofs of the incremental tree, checked by the offline verifier (sizes 1..70)', () => {
  const MAX = 70;
  const leaves = eventHashes(MAX);
  const tree = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  tree.appendAll(leaves.slice(0, 5));
  for (const leaf of leaves.slice(5)) tree.append(leaf);
  const roots = Array.from({ length: MAX + 1 }, (_, n) => tree.root(n));

  it('has, at every size, the root of the recursive MTH', () => {
    for (let n = 0; n <= MAX; n++) expect(roots[n]).toEqual(merkleTreeHash(leaves.slice(0, n)));
  });

  // Mismatches are collected and compared once: a few hundred thousand expect() calls would be slow.
  it('proves every leaf in every size, as the reference would, and nothing tampered', () => {
    const wrong: string[] = [];
    const must = (ok: boolean, what: string): void => {
      if (!ok) wrong.push(what);
    };
    let checked = 0;
    for (let n = 1; n <= MAX; n++) {
      for (let m = 0; m < n; m++) {
        const at = `leaf ${m} of ${n}`;
        const proof = tree.inclusionProof(m, n);
        must(same(proof, inclusionProof(leaves.slice(0, n), m)), `${at}: not the reference proof`);
        const leaf = leafHash(leaves[m]);
        must(verifier.verifyInclusionProof(leaf, m, n, proof, roots[n]), `${at}: verifier refused`);
        must(verifyInclusion(leaf, m, n, proof, roots[n]), `${at}: libs/audit refused`);
        // Tampered leaf, root, proof bytes, index and proof length: all refused.
        must(!verifier.verifyInclusionProof(flip(leaf), m, n, proof, roots[n]), `${at}: leaf`);
        must(!verifier.verifyInclusionProof(leaf, m, n, proof, flip(roots[n], 31)), `${at}: root`);
        for (const tampered of tamperedCopies(proof, m + n)) {
          must(!verifier.verifyInclusionProof(leaf, m, n, tampered, roots[n]), `${at}: proof byte`);
          must(!verifyInclusion(leaf, m, n, tampered, roots[n]), `${at}: proof byte (libs/audit)`);
        }
        if (n > 1) {
          must(
            !verifier.verifyInclusionProof(leaf, (m + 1) % n, n, proof, roots[n]),
            `${at}: index`,
          );
        }
        must(
          !verifier.verifyInclusionProof(leaf, m, n, [...proof, roots[n]], roots[n]),
          `${at}: +1`,
        );
        if (proof.length > 0) {
          must(!verifier.verifyInclusionProof(leaf, m, n, proof.slice(1), roots[n]), `${at}: -1`);
        }
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe((MAX * (MAX + 1)) / 2);
  });

  it('proves every pair of sizes consistent, as the reference would, and nothing tampered', () => {
    const wrong: string[] = [];
    const must = (ok: boolean, what: string): void => {
      if (!ok) wrong.push(what);
    };
    let checked = 0;
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const at = `${m} -> ${n}`;
        const proof = tree.consistencyProof(m, n);
        must(
          same(proof, consistencyProof(leaves.slice(0, n), m)),
          `${at}: not the reference proof`,
        );
        must(verifier.verifyConsistencyProof(m, n, roots[m], roots[n], proof), `${at}: verifier`);
        must(verifyConsistency(m, n, roots[m], roots[n], proof), `${at}: libs/audit refused`);
        if (m === n) {
          must(proof.length === 0, `${at}: proof for equal sizes`);
          continue;
        }
        must(!verifier.verifyConsistencyProof(m, n, flip(roots[m]), roots[n], proof), `${at}: old`);
        must(!verifier.verifyConsistencyProof(m, n, roots[m], flip(roots[n]), proof), `${at}: new`);
        for (const tampered of tamperedCopies(proof, m * 3 + n)) {
          must(!verifier.verifyConsistencyProof(m, n, roots[m], roots[n], tampered), `${at}: byte`);
          must(!verifyConsistency(m, n, roots[m], roots[n], tampered), `${at}: byte (libs/audit)`);
        }
        const shorter = proof.slice(1);
        must(!verifier.verifyConsistencyProof(m, n, roots[m], roots[n], shorter), `${at}: -1`);
        const longer = [...proof, roots[m]];
        must(!verifier.verifyConsistencyProof(m, n, roots[m], roots[n], longer), `${at}: +1`);
        if (n > m + 1) {
          // A proof for m -> n does not pass as one for m -> n-1 with that tree's root.
          const other = verifier.verifyConsistencyProof(m, n - 1, roots[m], roots[n - 1], proof);
          must(!other, `${at}: as ${m} -> ${n - 1}`);
        }
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe((MAX * (MAX - 1)) / 2);
  });

  it('refuses a rewritten history: a tree that changed one old leaf is not consistent with the old root', () => {
    const forked = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
    forked.appendAll([...leaves.slice(0, 20), flip(leaves[20]), ...leaves.slice(21, 40)]);
    for (const m of [1, 13, 20, 21, 32, 33]) {
      const proof = forked.consistencyProof(m, 40);
      const ok = verifier.verifyConsistencyProof(m, 40, roots[m], forked.root(), proof);
      expect(ok).toBe(m <= 20);
    }
  });

  it('rejects indexes and sizes outside the tree', () => {
    expect(() => tree.inclusionProof(MAX, MAX)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, MAX + 1)).toThrow(RangeError);
    expect(() => tree.consistencyProof(5, 4)).toThrow(RangeError);
    expect(() => tree.root(MAX + 1)).toThrow(RangeError);
    expect(verifier.verifyInclusionProof(leafHash(leaves[0]), 0, 0, [], EMPTY_TREE_ROOT)).toBe(
      false,
    );
  });
});
