'use strict';
/**
 * RFC 6962 hashing with the verification algorithms of RFC 9162 §2.1.3.2
 * (inclusion) and §2.1.4.2 (consistency). Written apart from libs/audit on
 * purpose: the service's proofs are checked by code that did not make them.
 */
const { createHash } = require('node:crypto');

function sha256(...parts) {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

const hashLeaf = (data) => sha256(Buffer.of(0), data);
const hashChildren = (left, right) => sha256(Buffer.of(1), left, right);
const isOdd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

function validSize(n) {
  return Number.isSafeInteger(n) && n >= 0;
}

/** RFC 9162 §2.1.3.2. All hashes are Buffers. */
function verifyInclusionProof(leafHash, leafIndex, treeSize, path, rootHash) {
  if (!validSize(leafIndex) || !validSize(treeSize) || leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!isOdd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!isOdd(fn) && fn !== 0);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(rootHash);
}

/** RFC 9162 §2.1.4.2, with the trivial cases of equal sizes and an empty first tree. */
function verifyConsistencyProof(firstSize, secondSize, firstHash, secondHash, proof) {
  if (!validSize(firstSize) || !validSize(secondSize) || firstSize > secondSize) return false;
  if (firstSize === 0) return proof.length === 0;
  if (firstSize === secondSize) return proof.length === 0 && firstHash.equals(secondHash);
  if (proof.length === 0) return false;
  const isPowerOfTwo = Number.isInteger(Math.log2(firstSize));
  const path = isPowerOfTwo ? [firstHash, ...proof] : [...proof];
  let fn = firstSize - 1;
  let sn = secondSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!isOdd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!isOdd(fn) && fn !== 0);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0;
}

module.exports = { sha256, hashLeaf, hashChildren, verifyInclusionProof, verifyConsistencyProof };
