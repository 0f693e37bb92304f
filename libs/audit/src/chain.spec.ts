import { checkChain } from '@ipt/audit-verifier';
import { sealEvents, verifyChain, type ChainedEvent } from './chain';
import { GENESIS_HASH } from './hashing';
import { copy, courseStream } from './testing/audit-fixtures';

const COURSE = '4f1c2a9e-7d3b-4c55-9a0e-2b8f6d1e3c70';

/** Both implementations must find the same break. */
function expectBrokenAt(events: ChainedEvent[], revision: number, reason: string): void {
  const verification = verifyChain(events);
  expect(verification).toMatchObject({ valid: false, brokenAtRevision: revision, reason });
  expect(checkChain(events, `course-${COURSE}`)).toMatchObject({ valid: false, revision });
}

describe('the per-course hash chain', () => {
  const stream = courseStream(COURSE, 10);

  it('verifies an untouched stream, in both implementations', () => {
    expect(verifyChain(stream)).toEqual({
      valid: true,
      brokenAtRevision: null,
      reason: null,
      verified: 10,
    });
    expect(checkChain(stream, `course-${COURSE}`)).toMatchObject({ valid: true });
    expect(stream[0].metadata.prevHash).toBe(GENESIS_HASH);
    expect(stream[4].metadata.prevHash).toBe(stream[3].metadata.hash);
  });

  it('catches one changed byte of stored data at its revision', () => {
    const events = copy(stream);
    const phi = events[6].data.phi as { ciphertext: string };
    phi.ciphertext = phi.ciphertext.slice(0, -1) + (phi.ciphertext.endsWith('A') ? 'B' : 'A');
    expectBrokenAt(events, 6, 'hash_mismatch');
  });

  it('catches a changed metadata field and a changed type', () => {
    const events = copy(stream);
    (events[3].metadata.actor as { id: string }).id = 'u2';
    expectBrokenAt(events, 3, 'hash_mismatch');
    const retyped = copy(stream);
    retyped[8].type = 'CourseClosed';
    expectBrokenAt(retyped, 8, 'hash_mismatch');
  });

  it('catches an event deleted from the middle at the missing revision', () => {
    const events = copy(stream);
    events.splice(4, 1);
    expectBrokenAt(events, 4, 'revision_gap');
  });

  it('catches a deleted event whose successors were renumbered, by their prevHash', () => {
    const events = copy(stream);
    events.splice(4, 1);
    events.forEach((event, i) => (event.revision = i));
    // The renumbered event no longer hashes to its stored hash (the revision is covered).
    expectBrokenAt(events, 4, 'hash_mismatch');
  });

  it('catches two events swapped, in place or with their revisions exchanged', () => {
    const reordered = copy(stream);
    [reordered[2], reordered[3]] = [reordered[3], reordered[2]];
    expectBrokenAt(reordered, 2, 'revision_gap');
    const renumbered = copy(reordered);
    renumbered[2].revision = 2;
    renumbered[3].revision = 3;
    expectBrokenAt(renumbered, 2, 'hash_mismatch');
  });

  it('catches a hash chained to the wrong predecessor', () => {
    const events = copy(stream);
    events[5].metadata.prevHash = events[3].metadata.hash;
    events[5] = sealEvents([events[5]], events[3].metadata.hash as string)[0];
    expectBrokenAt(events, 5, 'prev_hash_mismatch');
  });

  it('catches a dropped tail only against the expected head (the chain alone stops early)', () => {
    const events = copy(stream).slice(0, 7);
    expect(verifyChain(events).valid).toBe(true);
    const head = { revision: 9, hash: stream[9].metadata.hash as string };
    expect(verifyChain(events, { expectedHead: head })).toMatchObject({
      valid: false,
      brokenAtRevision: 7,
      reason: 'missing_tail',
    });
    expect(verifyChain(stream, { expectedHead: head }).valid).toBe(true);
    expect(verifyChain(stream, { expectedHead: { revision: 8 } })).toMatchObject({
      brokenAtRevision: 9,
      reason: 'beyond_head',
    });
  });

  it('passes a rewritten event whose chain was recomputed: only the Merkle tree catches that', () => {
    const events = copy(stream);
    events[5].data.sessionNumber = 99;
    const resealed = sealEvents(events.slice(5), events[4].metadata.hash as string);
    const rewritten = [...events.slice(0, 5), ...resealed];
    expect(verifyChain(rewritten).valid).toBe(true);
    expect(rewritten[5].metadata.hash).not.toBe(stream[5].metadata.hash);
  });

  it('verifies a slice from a known predecessor', () => {
    const tail = stream.slice(6);
    expect(verifyChain(tail).valid).toBe(false);
    const options = { fromRevision: 6, prevHash: stream[5].metadata.hash as string };
    expect(verifyChain(tail, options).valid).toBe(true);
  });

  it('catches an event of another stream', () => {
    const events = copy(stream);
    events[2].streamId = 'course-other';
    expectBrokenAt(events, 2, 'stream_mismatch');
  });
});
