'use strict';
/**
 * Verifies an audit bundle (format ipt-audit-bundle/1, audit.md) offline:
 * the course's hash chain, each event's inclusion in the events tree of the
 * signed checkpoint, the checkpoint's Ed25519 signature, and, given a
 * checkpoint kept earlier, that the tree only grew since.
 */
const { checkChain, eventHash } = require('./chain');
const { hashLeaf, verifyInclusionProof, verifyConsistencyProof } = require('./merkle');
const { keyIdOf, readPublicKey, verifyCheckpointSignature } = require('./signature');

const FORMAT = 'ipt-audit-bundle/1';
const HEX_HASH = /^[0-9a-f]{64}$/;

/** The bundle cannot be checked at all (exit 2), as opposed to checked and found broken. */
class CannotVerify extends Error {}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isTreeHead = (h) =>
  isObject(h) && Number.isSafeInteger(h.size) && h.size >= 0 && typeof h.root === 'string';

function hexHashes(list) {
  if (!Array.isArray(list) || !list.every((h) => typeof h === 'string' && HEX_HASH.test(h)))
    return null;
  return list.map((h) => Buffer.from(h, 'hex'));
}

function hashOf(event) {
  try {
    return isObject(event) && isObject(event.metadata) ? eventHash(event) : null;
  } catch {
    return null;
  }
}

/** A checkpoint the reviewer kept: signed ({checkpoint, signature, keyId}) or bare. */
function readPreviousCheckpoint(value) {
  if (isObject(value) && isObject(value.checkpoint))
    return { signed: value, checkpoint: value.checkpoint };
  if (isObject(value) && isTreeHead(value.events)) return { signed: null, checkpoint: value };
  throw new CannotVerify(
    'the previous checkpoint is neither {checkpoint, signature, keyId} nor a checkpoint',
  );
}

/**
 * @param bundle the parsed bundle
 * @param options.publicKey a KeyObject the reviewer trusts (else the bundle's own key is used)
 * @param options.previous a checkpoint kept earlier (parsed JSON)
 * @returns {{valid, checks: {name, ok, detail}[], notes: string[]}}
 * @throws CannotVerify when the document is not a bundle or a required part is missing
 */
function verifyBundle(bundle, options = {}) {
  if (!isObject(bundle) || bundle.format !== FORMAT) {
    throw new CannotVerify(`not an audit bundle (format must be "${FORMAT}")`);
  }
  const { courseId, events, leaves, checkpoint } = bundle;
  if (typeof courseId !== 'string' || !Array.isArray(events) || !Array.isArray(leaves)) {
    throw new CannotVerify('the bundle lacks courseId, events or leaves');
  }
  if (!isObject(checkpoint) || !isTreeHead(checkpoint.events) || !isTreeHead(checkpoint.access)) {
    throw new CannotVerify('the bundle lacks a checkpoint with events and access tree heads');
  }
  const checks = [];
  const notes = [];
  const check = (name, ok, detail) => checks.push({ name, ok, detail });
  const treeSize = checkpoint.events.size;
  const treeRoot = HEX_HASH.test(checkpoint.events.root)
    ? Buffer.from(checkpoint.events.root, 'hex')
    : null;

  // 1. The chain.
  const chain = checkChain(events, `course-${courseId}`);
  if (chain.valid) {
    check(
      'chain',
      true,
      events.length ? `${events.length} events, revisions 0..${events.length - 1}` : 'no events',
    );
  } else {
    check('chain', false, `at revision ${chain.revision}: ${chain.problem}`);
  }
  // A leaf of this course without its event: the store lost events the checkpoint had covered.
  const eventRevisions = new Set(
    events.map((event) => (isObject(event) ? event.revision : undefined)),
  );
  const orphans = leaves
    .filter((leaf) => isObject(leaf) && !eventRevisions.has(leaf.revision))
    .sort((a, b) => a.revision - b.revision);
  if (orphans.length > 0) {
    const [first] = orphans;
    check(
      'completeness',
      false,
      `revision ${first.revision} (leaf ${first.leafIndex}) is in the events tree but not among the events (missing)`,
    );
  }

  // 2. Every event is a leaf of the signed tree (checked even after a chain break, to locate more).
  const byRevision = new Map();
  for (const leaf of leaves) {
    if (isObject(leaf) && Number.isSafeInteger(leaf.revision)) byRevision.set(leaf.revision, leaf);
  }
  const usedIndexes = new Set();
  let inclusionFailure = null;
  for (let i = 0; i < events.length && !inclusionFailure; i++) {
    const event = events[i];
    const revision = isObject(event) ? event.revision : i;
    const leaf = byRevision.get(revision);
    const hash = hashOf(event);
    const proof = leaf ? hexHashes(leaf.inclusionProof) : null;
    if (!leaf) inclusionFailure = `revision ${revision}: no leaf in the bundle`;
    else if (!Number.isSafeInteger(leaf.leafIndex) || usedIndexes.has(leaf.leafIndex)) {
      inclusionFailure = `revision ${revision}: leaf index missing or used twice`;
    } else if (!proof)
      inclusionFailure = `revision ${revision}: the inclusion proof is not a list of hashes`;
    else if (!hash) inclusionFailure = `revision ${revision}: the event cannot be hashed`;
    else if (!treeRoot) inclusionFailure = 'the checkpoint root is not a SHA-256 hash';
    else {
      usedIndexes.add(leaf.leafIndex);
      // The leaf is the hash of the event as it is now: an event changed with its chain recomputed fails here.
      const ok = verifyInclusionProof(
        hashLeaf(Buffer.from(hash, 'hex')),
        leaf.leafIndex,
        treeSize,
        proof,
        treeRoot,
      );
      if (!ok) {
        inclusionFailure = `revision ${revision} (leaf ${leaf.leafIndex}): not in the events tree of size ${treeSize}`;
      }
    }
  }
  if (inclusionFailure) check('inclusion', false, inclusionFailure);
  else check('inclusion', true, `${events.length} leaves in the events tree of size ${treeSize}`);

  // 3. The signature, with the reviewer's key when given.
  let key = options.publicKey ?? null;
  if (!key) {
    try {
      key = readPublicKey(bundle.publicKey);
      notes.push(
        'the public key came from the bundle itself: compare its key id with one you obtained elsewhere (or pass --public-key)',
      );
    } catch (error) {
      check('signature', false, `the bundle's public key cannot be read (${error.message})`);
    }
  } else if (bundle.publicKey !== undefined) {
    let same = false;
    try {
      same = keyIdOf(readPublicKey(bundle.publicKey)) === keyIdOf(key);
    } catch {
      same = false;
    }
    if (!same)
      check('public key', false, 'the key in the bundle is not the key given with --public-key');
  }
  if (key) {
    const keyId = keyIdOf(key);
    if (bundle.keyId !== keyId)
      check('signature', false, `keyId ${bundle.keyId} does not name key ${keyId}`);
    else if (!verifyCheckpointSignature(checkpoint, bundle.signature, key)) {
      check('signature', false, `the checkpoint signature does not verify with key ${keyId}`);
    } else {
      check(
        'signature',
        true,
        `Ed25519, key ${keyId}, origin ${checkpoint.origin}, issued ${checkpoint.issuedAt}`,
      );
    }
  }

  // 4. Consistency with a checkpoint the reviewer kept.
  if (options.previous !== undefined) {
    const previous = readPreviousCheckpoint(options.previous);
    const before = previous.checkpoint;
    if (!isTreeHead(before.events))
      throw new CannotVerify('the previous checkpoint has no events tree head');
    if (previous.signed && key) {
      const ok =
        previous.signed.keyId === keyIdOf(key) &&
        verifyCheckpointSignature(before, previous.signed.signature, key);
      if (!ok)
        check('previous checkpoint', false, 'its signature does not verify with the key used');
    }
    if (before.origin !== undefined && before.origin !== checkpoint.origin) {
      throw new CannotVerify(
        `the previous checkpoint is of origin ${before.origin}, not ${checkpoint.origin}`,
      );
    }
    if (isTreeHead(before.access) && before.access.size > checkpoint.access.size) {
      check(
        'consistency',
        false,
        `the access tree shrank from ${before.access.size} to ${checkpoint.access.size}`,
      );
    }
    const first = before.events.size;
    const firstRoot = HEX_HASH.test(before.events.root)
      ? Buffer.from(before.events.root, 'hex')
      : null;
    if (!firstRoot || !treeRoot) {
      check('consistency', false, 'a tree root is not a SHA-256 hash');
    } else if (first > treeSize) {
      check('consistency', false, `the events tree shrank from ${first} to ${treeSize} leaves`);
    } else if (first === treeSize) {
      const same = firstRoot.equals(treeRoot);
      check(
        'consistency',
        same,
        same ? `same tree (size ${first})` : `size ${first} with another root`,
      );
    } else {
      const c = bundle.consistency;
      if (!isObject(c) || c.first !== first || c.second !== treeSize) {
        throw new CannotVerify(
          `the bundle has no consistency proof from size ${first}: fetch it with ?since=${first}`,
        );
      }
      const proof = hexHashes(c.proof);
      const ok =
        proof !== null && verifyConsistencyProof(first, treeSize, firstRoot, treeRoot, proof);
      check(
        'consistency',
        ok,
        ok
          ? `the events tree of size ${treeSize} extends the one of size ${first} you kept`
          : `the events tree of size ${treeSize} does not extend the one of size ${first}: history was rewritten`,
      );
    }
  } else if (bundle.consistency !== undefined) {
    notes.push('the bundle carries a consistency proof; pass --previous <checkpoint> to check it');
  }

  return { valid: checks.every((c) => c.ok), checks, notes };
}

module.exports = { FORMAT, CannotVerify, verifyBundle };
