/**
 * The contract of the ledger log's storage (libs/projections ledger/): the
 * events-tree projection target, the read side every process opens
 * (EventsLedger) and the stored checkpoints (CheckpointLog), with the one
 * checkpoint issuer over them. Written through one handle (the projector),
 * read through another (an API instance). Run on SQLite and on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import {
  AuditSigningKey,
  leafHash,
  merkleTreeHash,
  verifyCheckpoint,
  verifyInclusion,
  signCheckpoint,
  type ChainedEvent,
} from '@ipt/audit';
import type { RecordedEvent } from '@ipt/event-store';
import {
  CheckpointIssuer,
  EMPTY_ACCESS_TREE,
  courseLeavesView,
  eventLeafData,
  type LedgerReadSide,
  type LedgerStorage,
} from '@ipt/projections';
import { courseStream } from '../../libs/audit/src/testing/audit-fixtures';

export interface AuditLedgerFixture {
  /** A fresh ledger: the builder's storage, and the read side of another process. */
  open(): Promise<{ builder: LedgerStorage; reader: LedgerReadSide }>;
  close(): Promise<void>;
}

let position = 0;
function recorded(events: ChainedEvent[]): RecordedEvent[] {
  return events.map((event) => ({ ...event, position: BigInt(++position), created: new Date(0) }));
}

const quietLogger = (errors: string[]) => ({
  log: () => undefined,
  warn: (m: string) => errors.push(m),
  error: (m: string) => errors.push(m),
});

export function auditLedgerContract(name: string, fixture: AuditLedgerFixture): void {
  describe(`audit ledger storage: ${name}`, () => {
    let builder: LedgerStorage;
    let reader: LedgerReadSide;
    const key = AuditSigningKey.generate();

    beforeEach(async () => {
      ({ builder, reader } = await fixture.open());
    });
    afterEach(() => fixture.close());

    it('commits each event as the next leaf, by event id, with the checkpoint, for every reader', async () => {
      const a = recorded(courseStream(randomUUID(), 3));
      const b = recorded(courseStream(randomUUID(), 4));
      const log = [a[0], b[0], a[1], b[1], b[2], a[2], b[3]];
      await builder.target.commit(log.slice(0, 2), log[1].position);
      await builder.target.commit(log.slice(2), log[6].position);
      expect(await builder.target.checkpoint()).toBe(log[6].position);

      const { events } = reader;
      expect(await events.tree.size()).toBe(7);
      expect((await events.tree.root(7)).toString('hex')).toBe(
        merkleTreeHash(log.map(eventLeafData)).toString('hex'),
      );
      expect(await events.leavesOf(a[0].streamId)).toEqual([
        { revision: 0, leafIndex: 0 },
        { revision: 1, leafIndex: 2 },
        { revision: 2, leafIndex: 5 },
      ]);
      expect(await events.streams()).toEqual([a[0].streamId, b[0].streamId].sort());
      const leaves = await events.leavesOf(b[0].streamId);
      const view = await courseLeavesView(events, leaves, 7);
      const root = await events.tree.root(7);
      const proofs = await events.tree.view(7, {
        inclusion: { indexes: leaves.map((l) => l.leafIndex), size: 7 },
      });
      for (const { revision, leafIndex } of leaves) {
        const leaf = leafHash(eventLeafData(b[revision]));
        expect(view.leafHash(leafIndex).equals(leaf)).toBe(true);
        expect(verifyInclusion(leaf, leafIndex, 7, proofs.inclusionProof(leafIndex, 7), root)).toBe(
          true,
        );
      }
    });

    it('stores checkpoints in order, pages them, tracks publishing, and keeps the signer’s keys', async () => {
      const { checkpoints } = builder;
      expect(await reader.checkpoints.latest()).toBeUndefined();
      const issued = [];
      for (let size = 1; size <= 5; size++) {
        const signed = signCheckpoint(
          {
            origin: 'ledger.test',
            events: { size, root: String(size).repeat(64) },
            access: { size: 0, root: 'e'.repeat(64) },
            issuedAt: new Date(size * 1000).toISOString(),
          },
          key,
        );
        issued.push(await checkpoints.append(signed));
        expect(issued[size - 1]).toEqual({ sequence: size, ...signed });
      }
      expect(await reader.checkpoints.latest()).toEqual(issued[4]);
      expect(await reader.checkpoints.after(0, 2)).toEqual(issued.slice(0, 2));
      expect(await reader.checkpoints.after(2, 100)).toEqual(issued.slice(2));
      expect(await checkpoints.unpublished()).toEqual(issued);
      await checkpoints.published(1);
      await checkpoints.published(2);
      expect(await reader.checkpoints.unpublished()).toEqual(issued.slice(2));

      expect(await reader.checkpoints.publicKey()).toBeUndefined();
      await checkpoints.registerKey(key.publicKey);
      await checkpoints.registerKey(key.publicKey);
      expect(await reader.checkpoints.publicKey()).toEqual(key.publicKey);
      expect(await reader.checkpoints.publicKey(key.keyId)).toEqual(key.publicKey);
      expect(await reader.checkpoints.publicKey('no-such-key')).toBeUndefined();
    });

    it('signs a grown tree with a key every reader finds, and refuses to sign over a tree rebuilt from altered events', async () => {
      const errors: string[] = [];
      const issuer = () =>
        new CheckpointIssuer({
          tree: builder.events.tree,
          access: EMPTY_ACCESS_TREE,
          log: builder.checkpoints,
          key,
          origin: 'ledger.test',
          intervalMs: 60_000,
          logger: quietLogger(errors),
        });
      const stream = courseStream(randomUUID(), 4);
      const events = recorded(stream);
      await builder.target.commit(events, events[3].position);
      await issuer().tick();
      const first = await reader.checkpoints.latest();
      expect(first).toMatchObject({ sequence: 1, checkpoint: { events: { size: 4 } } });
      expect(
        verifyCheckpoint(first!, (await reader.checkpoints.publicKey(first!.keyId))!.jwk),
      ).toBe(true);

      // An operator rewrites an event and rebuilds the tree from the altered log.
      const altered = stream.map((e) => ({ ...e, metadata: { ...e.metadata } }));
      altered[2].metadata.hash = 'f'.repeat(64);
      await builder.target.reset();
      const replay = recorded([...altered, ...courseStream(randomUUID(), 2)]);
      await builder.target.commit(replay, replay[replay.length - 1].position);
      const restarted = issuer();
      await restarted.tick();
      expect(restarted.status()).toMatchObject({
        state: 'inconsistent',
        brokenAt: { sequence: 1, size: 4 },
      });
      expect((await reader.checkpoints.latest())!.sequence).toBe(1);
      expect(errors.join('\n')).toMatch(/stored checkpoint 1 \(size 4\)/);
    });
  });
}
