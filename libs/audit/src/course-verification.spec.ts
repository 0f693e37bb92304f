import { sealEvents, type ChainedEvent } from './chain';
import { verifyCourse, type CourseLeafIndex } from './course-verification';
import { IncrementalMerkleTree, InMemoryMerkleNodeStore } from './merkle-tree';
import { copy, courseStream } from './testing/audit-fixtures';

/** One course of 8 events between other leaves; the checkpoint covers revisions 0..5. */
function setUp(): {
  stream: ChainedEvent[];
  leaves: CourseLeafIndex[];
  tree: IncrementalMerkleTree;
  size: number;
} {
  const stream = courseStream('6a0e4a52-8d55-4a61-b1d3-3f0f3c9f1e22', 8);
  const tree = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  const leaves: CourseLeafIndex[] = [];
  let size = 0;
  stream.forEach((event, revision) => {
    tree.append(Buffer.alloc(32, revision)); // another course's event
    leaves.push({
      revision,
      leafIndex: tree.append(Buffer.from(event.metadata.hash as string, 'hex')),
    });
    if (revision === 5) size = tree.size;
  });
  return { stream, leaves, tree, size };
}

describe('verifyCourse', () => {
  const { stream, leaves, tree, size } = setUp();

  it('passes an untouched course; events after the checkpoint are pending, not broken', () => {
    expect(verifyCourse(stream, leaves, tree, size)).toEqual({
      valid: true,
      events: 8,
      brokenAtRevision: null,
      reason: null,
      included: true,
      pending: 2,
    });
    expect(verifyCourse(stream, leaves, tree, tree.size)).toMatchObject({
      valid: true,
      pending: 0,
    });
  });

  it('reports a changed byte at its revision, by the chain', () => {
    const events = copy(stream);
    events[3].data.sessionNumber = 30;
    expect(verifyCourse(events, leaves, tree, size)).toMatchObject({
      valid: false,
      brokenAtRevision: 3,
      reason: 'hash_mismatch',
      included: false,
    });
  });

  it('reports an event rewritten with its chain recomputed, by the tree', () => {
    const events = copy(stream);
    events[2].data.sessionNumber = 20;
    const rewritten = [
      ...events.slice(0, 2),
      ...sealEvents(events.slice(2), events[1].metadata.hash as string),
    ];
    expect(verifyCourse(rewritten, leaves, tree, size)).toMatchObject({
      valid: false,
      brokenAtRevision: 2,
      reason: 'not_in_tree',
      included: false,
    });
  });

  it('reports a dropped tail at the first missing revision the checkpoint covered', () => {
    expect(verifyCourse(stream.slice(0, 4), leaves, tree, size)).toMatchObject({
      valid: false,
      brokenAtRevision: 4,
      reason: 'missing_tail',
      included: false,
    });
    // Dropping only events the checkpoint does not cover yet cannot be proved wrong.
    expect(verifyCourse(stream.slice(0, 6), leaves, tree, size)).toMatchObject({
      valid: true,
      pending: 0,
    });
  });

  it('reports a deleted middle event and a swap at the first revision affected', () => {
    const deleted = copy(stream);
    deleted.splice(1, 1);
    expect(verifyCourse(deleted, leaves, tree, size)).toMatchObject({
      brokenAtRevision: 1,
      valid: false,
    });
    const swapped = copy(stream);
    [swapped[4], swapped[5]] = [swapped[5], swapped[4]];
    expect(verifyCourse(swapped, leaves, tree, size)).toMatchObject({
      brokenAtRevision: 4,
      valid: false,
    });
  });
});
