/**
 * The offline verifier's CLI, run as a reviewer runs it (a child process), on
 * bundles built by the service's audit core.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AuditSigningKey,
  buildAuditBundle,
  consistencyFor,
  courseLeaves,
  IncrementalMerkleTree,
  InMemoryMerkleNodeStore,
  sealEvents,
  signCheckpoint,
  treeHead,
  type AuditBundle,
  type ChainedEvent,
  type SignedCheckpoint,
} from '@ipt/audit';
import { courseStream, copy } from '../audit/src/testing/audit-fixtures';

const BIN = path.join(__dirname, 'bin', 'ipt-verify.js');
const COURSE = '0b6c1f7e-3a52-4d8e-9f10-6c2d7e8a9b41';
const KEPT_SIZE = 8;

interface World {
  bundle: AuditBundle;
  kept: SignedCheckpoint;
  key: AuditSigningKey;
}

/**
 * Three courses appended round-robin to the events tree; a checkpoint kept
 * after 8 leaves, the latest after all of them. `rewrite` changes the stored
 * events before the tree is (re)built from them, as an operator would.
 */
function world(
  options: { rewrite?: (streams: ChainedEvent[][]) => void; key?: AuditSigningKey } = {},
): World {
  const key = options.key ?? AuditSigningKey.generate();
  const streams = [
    courseStream(COURSE, 7),
    courseStream(randomUUID(), 5),
    courseStream(randomUUID(), 4),
  ];
  const original = copy(streams);
  options.rewrite?.(streams);
  const tree = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  const access = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  access.append(Buffer.alloc(32, 7));
  const leafIndexes: { revision: number; leafIndex: number }[] = [];
  let kept: SignedCheckpoint | undefined;
  const checkpoint = (events: IncrementalMerkleTree) =>
    signCheckpoint(
      {
        origin: 'ledger.test',
        events: treeHead(events),
        access: treeHead(access),
        issuedAt: new Date().toISOString(),
      },
      key,
    );
  // The kept checkpoint was issued before any rewrite, over the original events.
  const before = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  for (let revision = 0; revision < 7; revision++) {
    streams.forEach((stream, s) => {
      const event = stream[revision];
      if (!event) return;
      if (s === 0) leafIndexes.push({ revision, leafIndex: tree.size });
      tree.append(Buffer.from(event.metadata.hash as string, 'hex'));
      if (before.size < KEPT_SIZE) {
        before.append(Buffer.from(original[s][revision].metadata.hash as string, 'hex'));
        if (before.size === KEPT_SIZE) kept = checkpoint(before);
      }
    });
  }
  const latest = checkpoint(tree);
  const bundle = buildAuditBundle({
    courseId: COURSE,
    events: streams[0],
    leaves: courseLeaves(tree, leafIndexes, tree.size),
    signedCheckpoint: latest,
    publicKey: key.publicKey.jwk,
    consistency: consistencyFor(tree, KEPT_SIZE, tree.size),
  });
  return { bundle, kept: kept!, key };
}

describe('ipt-verify', () => {
  let dir: string;
  const untouched = world();

  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-verify-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function file(name: string, content: unknown): string {
    const target = path.join(dir, name);
    fs.writeFileSync(
      target,
      typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    );
    return target;
  }

  function verify(bundle: unknown, ...args: string[]): { status: number | null; out: string } {
    const run = spawnSync(
      process.execPath,
      [BIN, file(`bundle-${randomUUID()}.json`, bundle), ...args],
      {
        encoding: 'utf8',
      },
    );
    return { status: run.status, out: run.stdout + run.stderr };
  }

  it('passes an untouched bundle, with the key from the bundle, as PEM, as JWK or as the public-key answer', () => {
    const { bundle, key } = untouched;
    const plain = verify(bundle);
    expect(plain).toMatchObject({ status: 0 });
    expect(plain.out).toMatch(/chain\s+ok/);
    expect(plain.out).toMatch(/inclusion\s+ok\s+7 leaves in the events tree of size 16/);
    expect(plain.out).toMatch(/VALID/);
    for (const [name, content] of [
      ['key.pem', key.publicKey.pem],
      ['key.jwk.json', key.publicKey.jwk],
      ['public-key.json', key.publicKey],
    ] as const) {
      expect(verify(bundle, '--public-key', file(name, content))).toMatchObject({ status: 0 });
    }
  });

  it('passes against a checkpoint kept earlier when the tree only grew', () => {
    const result = verify(untouched.bundle, '--previous', file('kept.json', untouched.kept));
    expect(result.status).toBe(0);
    expect(result.out).toMatch(
      /consistency\s+ok\s+the events tree of size 16 extends the one of size 8/,
    );
  });

  it('fails a changed byte of an event, at its revision', () => {
    const bundle = copy(untouched.bundle);
    const phi = bundle.events[3].data.phi as { ciphertext: string };
    phi.ciphertext = phi.ciphertext.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const result = verify(bundle);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/chain\s+BROKEN at revision 3: the stored hash/);
    expect(result.out).toMatch(/inclusion\s+BROKEN revision 3 \(leaf \d+\)/);
  });

  it('fails a deleted event at the missing revision', () => {
    const bundle = copy(untouched.bundle);
    bundle.events.splice(2, 1);
    const result = verify(bundle);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/chain\s+BROKEN at revision 2: found revision 3/);
  });

  it('fails a dropped tail: the tree still holds leaves of the lost events', () => {
    const bundle = copy(untouched.bundle);
    bundle.events.splice(5);
    const result = verify(bundle);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/chain\s+ok/);
    expect(result.out).toMatch(
      /completeness\s+BROKEN revision 5 \(leaf \d+\) is in the events tree but not among the events/,
    );
  });

  it('fails an event rewritten with its chain recomputed: the chain holds, the inclusion proof does not', () => {
    const bundle = copy(untouched.bundle);
    bundle.events[4].data.sessionNumber = 40;
    bundle.events.splice(
      4,
      3,
      ...sealEvents(bundle.events.slice(4), bundle.events[3].metadata.hash as string),
    );
    const result = verify(bundle);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/chain\s+ok/);
    expect(result.out).toMatch(
      /inclusion\s+BROKEN revision 4 \(leaf \d+\): not in the events tree/,
    );
  });

  it('fails a changed byte of an inclusion proof, at its revision', () => {
    const bundle = copy(untouched.bundle);
    const proof = bundle.leaves[5].inclusionProof;
    proof[1] = proof[1].replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const result = verify(bundle);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/inclusion\s+BROKEN revision 5/);
  });

  it('fails a changed signature, key id, checkpoint root or public key', () => {
    const signature = Buffer.from(untouched.bundle.signature, 'base64');
    signature[0] ^= 1;
    const other = AuditSigningKey.generate();
    const tampered: [string, Partial<AuditBundle>, RegExp][] = [
      [
        'signature',
        { signature: signature.toString('base64') },
        /signature\s+BROKEN the checkpoint signature/,
      ],
      ['keyId', { keyId: other.keyId }, /signature\s+BROKEN keyId .* does not name key/],
      [
        'publicKey',
        { publicKey: other.publicKey.jwk },
        /signature\s+BROKEN keyId .* does not name key/,
      ],
      [
        'checkpoint',
        {
          checkpoint: {
            ...untouched.bundle.checkpoint,
            events: { size: 16, root: 'ab'.repeat(32) },
          },
        },
        /inclusion\s+BROKEN revision 0[\s\S]*signature\s+BROKEN/,
      ],
    ];
    for (const [what, change, expected] of tampered) {
      const result = verify({ ...untouched.bundle, ...change });
      expect({ what, status: result.status }).toEqual({ what, status: 1 });
      expect(result.out).toMatch(expected);
    }
  });

  it('fails a bundle signed by another key than the one the reviewer trusts', () => {
    const stranger = AuditSigningKey.generate();
    const forged = world({ key: stranger });
    const result = verify(
      forged.bundle,
      '--public-key',
      file('trusted.pem', untouched.key.publicKey.pem),
    );
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/public key\s+BROKEN the key in the bundle is not the key given/);
    expect(result.out).toMatch(/signature\s+BROKEN keyId/);
  });

  it('fails a history rewritten before the kept checkpoint, even with every chain recomputed and re-signed', () => {
    const key = AuditSigningKey.generate();
    const honest = world({ key });
    const rewritten = world({
      key,
      rewrite: (streams) => {
        // Course 1, revision 1 is leaf 4, before the kept checkpoint of 8 leaves.
        streams[1][1].data.sessionNumber = 11;
        streams[1].splice(
          1,
          streams[1].length - 1,
          ...sealEvents(streams[1].slice(1), streams[1][0].metadata.hash as string),
        );
      },
    });
    const kept = file('kept-honest.json', honest.kept);
    expect(verify(rewritten.bundle).status).toBe(0); // on its own, a re-signed rewrite is self-consistent
    const result = verify(rewritten.bundle, '--previous', kept);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(
      /consistency\s+BROKEN the events tree of size 16 does not extend the one of size 8/,
    );
  });

  it('cannot run without the consistency proof a kept checkpoint needs, or on what is not a bundle', () => {
    const { consistency: _dropped, ...withoutProof } = untouched.bundle;
    const missing = verify(withoutProof, '--previous', file('kept2.json', untouched.kept));
    expect(missing.status).toBe(2);
    expect(missing.out).toMatch(/fetch it with \?since=8/);
    expect(verify('{not json').status).toBe(2);
    expect(verify({ ...untouched.bundle, format: 'other/1' }).status).toBe(2);
    expect(verify(untouched.bundle, '--public-key', path.join(dir, 'absent.pem')).status).toBe(2);
    expect(verify(untouched.bundle, '--unknown').status).toBe(2);
    const noFile = spawnSync(process.execPath, [BIN, path.join(dir, 'absent.json')], {
      encoding: 'utf8',
    });
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/cannot read the bundle/);
  });
});
