import { AUDIT_BUNDLE_FORMAT, buildAuditBundle, consistencyFor, courseLeaves } from './bundle';
import { signCheckpoint, treeHead } from './checkpoint';
import { IncrementalMerkleTree, InMemoryMerkleNodeStore } from './merkle-tree';
import { AuditSigningKey } from './signing-key';
import { courseStream } from './testing/audit-fixtures';

describe('buildAuditBundle', () => {
  const key = AuditSigningKey.generate();
  const courseId = '2d7f3b0c-5e8a-4f61-9c2b-7a1e0d4c6b35';
  const stream = courseStream(courseId, 6);
  const tree = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  const indexes = stream.map((event, revision) => ({
    revision,
    leafIndex: tree.append(Buffer.from(event.metadata.hash as string, 'hex')),
  }));
  // The checkpoint covers revisions 0..3; 4 and 5 came after it.
  const signed = signCheckpoint(
    {
      origin: 'o',
      events: treeHead(tree, 4),
      access: treeHead(tree, 0),
      issuedAt: new Date().toISOString(),
    },
    key,
  );
  const stored = stream.map((event, i) => ({
    ...event,
    position: 2n ** 60n + BigInt(i),
    created: new Date(0),
  }));

  it('carries what audit.md lists, proves what the checkpoint covers and leaves later events out', () => {
    const bundle = buildAuditBundle({
      courseId,
      events: stored,
      leaves: courseLeaves(tree, indexes, 4),
      signedCheckpoint: signed,
      publicKey: key.publicKey.jwk,
      consistency: consistencyFor(tree, 2, 4),
    });
    expect(Object.keys(bundle).sort()).toEqual(
      [
        'checkpoint',
        'consistency',
        'courseId',
        'events',
        'format',
        'keyId',
        'leaves',
        'publicKey',
        'signature',
      ].sort(),
    );
    expect(bundle).toMatchObject({
      format: AUDIT_BUNDLE_FORMAT,
      courseId,
      keyId: key.keyId,
      signature: signed.signature,
    });
    expect(bundle.events.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    expect(bundle.leaves.map((l) => l.leafIndex)).toEqual([0, 1, 2, 3]);
    expect(bundle.events[1]).toMatchObject({
      position: '1152921504606846977',
      created: '1970-01-01T00:00:00.000Z',
    });
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(bundle);
  });

  it('keeps a leaf whose event the store lost, so that the verifier reports it', () => {
    const bundle = buildAuditBundle({
      courseId,
      events: stored.slice(0, 2),
      leaves: courseLeaves(tree, indexes, 4),
      signedCheckpoint: signed,
      publicKey: key.publicKey.jwk,
    });
    expect(bundle.events).toHaveLength(2);
    expect(bundle.leaves.map((l) => l.revision)).toEqual([0, 1, 2, 3]);
    expect(bundle.consistency).toBeUndefined();
  });

  it('refuses a leaf beyond the checkpoint and a consistency proof to another size', () => {
    const base = {
      courseId,
      events: stored,
      signedCheckpoint: signed,
      publicKey: key.publicKey.jwk,
    };
    expect(() => buildAuditBundle({ ...base, leaves: courseLeaves(tree, indexes, 6) })).toThrow(
      /beyond/,
    );
    const consistency = consistencyFor(tree, 2, 5);
    expect(() => buildAuditBundle({ ...base, leaves: [], consistency })).toThrow(/checkpoint size/);
  });
});
