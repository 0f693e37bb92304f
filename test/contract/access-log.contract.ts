/**
 * The contract of the access-log port (apps/api/src/audit/access-log/access-log.ts),
 * run on each adapter: SQLite (the embedded mode's file) and PostgreSQL
 * (every API instance writing one log). Proofs are checked with the offline
 * verifier's own RFC 9162 code, chains with @ipt/audit's.
 */
import { randomUUID } from 'node:crypto';
import { hashLeaf, verifyInclusionProof } from '@ipt/audit-verifier';
import { GENESIS_HASH, verifyAccessChain } from '@ipt/audit';
import {
  asRecorded,
  type AccessLog,
  type StoredAccessRecord,
} from '../../apps/api/src/audit/access-log/access-log';
import { unsealedRecord as record } from '../../apps/api/src/audit/access-log/access-record.fixture';

export interface AccessLogFixture {
  /**
   * The log, and when the adapter serves several processes (PostgreSQL), a
   * second handle on it writing at the same time (another API instance).
   */
  open(): Promise<{ log: AccessLog; other?: AccessLog }>;
  /** Runs a statement on the log's database directly, as an operator with write access could. */
  tamper(statement: string): Promise<void>;
  close(): Promise<void>;
}

const clinic = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

async function expectInTree(log: AccessLog, records: StoredAccessRecord[]): Promise<void> {
  const { size, root } = await log.head();
  for (const r of records) {
    expect(r.leafIndex).toBeLessThan(size);
    const leaf = hashLeaf(Buffer.from(r.hash, 'hex'));
    expect(await log.leafHash(r.leafIndex)).toBe(leaf.toString('hex'));
    const proof = (await log.inclusionProof(r.leafIndex, size)).map((h) => Buffer.from(h, 'hex'));
    expect(verifyInclusionProof(leaf, r.leafIndex, size, proof, Buffer.from(root, 'hex'))).toBe(
      true,
    );
  }
}

export function accessLogContract(name: string, fixture: AccessLogFixture): void {
  describe(`access log: ${name}`, () => {
    let log: AccessLog;
    let other: AccessLog | undefined;

    beforeAll(async () => {
      ({ log, other } = await fixture.open());
    });
    afterAll(() => fixture.close());

    it('commits records appended together in one group, chains each clinic and makes each a leaf', async () => {
      const clinics = [clinic('a'), clinic('b'), clinic('c')];
      const stored = await Promise.all(
        Array.from({ length: 37 }, (_, i) =>
          log.append(record(clinics[i % 3], { status: [200, 404, 409][i % 3] })),
        ),
      );
      // One group, in the order given: consecutive leaves.
      const first = stored[0].leafIndex;
      expect(stored.map((r) => r.leafIndex)).toEqual(stored.map((_, i) => first + i));
      for (const clinicId of clinics) {
        const records = await log.clinicRecords(clinicId);
        expect(records).toHaveLength(clinicId === clinics[0] ? 13 : 12);
        expect(records[0].prevHash).toBe(GENESIS_HASH);
        expect(verifyAccessChain(records.map(asRecorded))).toMatchObject({ valid: true });
        expect(records).toEqual(stored.filter((r) => r.clinicId === clinicId));
      }
      expect((await log.head()).size).toBeGreaterThanOrEqual(first + 37);
      await expectInTree(log, stored);
    });

    it('continues a clinic’s chain across groups', async () => {
      const clinicId = clinic('chain');
      const first = await log.append(record(clinicId));
      const second = await log.append(record(clinicId));
      expect(second.prevHash).toBe(first.hash);
      expect(second.leafIndex).toBeGreaterThan(first.leafIndex);
    });

    it('answers a clinic’s records newest first, filtered, in pages', async () => {
      const clinicId = clinic('query');
      const courseId = randomUUID();
      const mine: StoredAccessRecord[] = [];
      for (let i = 0; i < 5; i++)
        mine.push(
          await log.append(
            record(clinicId, {
              courseId: i % 2 === 0 ? courseId : null,
              actor: { id: i === 1 ? 'auditor-1' : 'clinician-1', role: 'clinician' },
            }),
          ),
        );
      const elsewhere = await log.append(record(clinic('query-other'), { courseId }));
      const leaves = (rows: StoredAccessRecord[]) => rows.map((r) => r.leafIndex);
      const at = (i: number) => mine[i].leafIndex;
      expect(leaves(await log.query({ clinicId, limit: 10 }))).toEqual([4, 3, 2, 1, 0].map(at));
      expect(leaves(await log.query({ clinicId, courseId, limit: 10 }))).toEqual([4, 2, 0].map(at));
      expect(leaves(await log.query({ clinicId, actorId: 'auditor-1', limit: 10 }))).toEqual([
        at(1),
      ]);
      expect(leaves(await log.query({ clinicId, beforeLeaf: at(3), limit: 2 }))).toEqual(
        [2, 1].map(at),
      );
      expect(
        leaves(await log.query({ clinicId, from: mine[2].at, to: mine[4].at, limit: 10 })),
      ).toEqual(
        mine
          .filter((r) => r.at >= mine[2].at && r.at < mine[4].at)
          .map((r) => r.leafIndex)
          .reverse(),
      );
      expect(await log.query({ clinicId: elsewhere.clinicId, limit: 10 })).toEqual([elsewhere]);
    });

    it('refuses UPDATE and DELETE of records and access-tree nodes in the database itself', async () => {
      const clinicId = clinic('tamper');
      const stored = await log.append(record(clinicId));
      const refused = async (statement: string) =>
        expect([statement, await fixture.tamper(statement).then(() => 'done', String)]).toEqual([
          statement,
          expect.stringMatching(/append-only/),
        ]);
      await refused(
        `UPDATE access_records SET status = 200 WHERE leaf_index = ${stored.leafIndex}`,
      );
      await refused(`DELETE FROM access_records WHERE leaf_index = ${stored.leafIndex}`);
      await refused(
        `UPDATE audit_merkle_nodes SET level = level WHERE tree = 'access' AND idx = ${stored.leafIndex}`,
      );
      await refused(`DELETE FROM audit_merkle_nodes WHERE tree = 'access'`);
      expect(await log.clinicRecords(clinicId)).toEqual([stored]);
    });

    it('keeps one gap-free tree and one chain per clinic with two instances appending at once', async () => {
      if (!other) return; // one process writes the SQLite file (the embedded mode)
      const clinics = [clinic('shared-a'), clinic('shared-b')];
      const before = (await log.head()).size;
      const stored = (
        await Promise.all(
          Array.from({ length: 6 }, async (_, round) =>
            Promise.all(
              Array.from({ length: 10 }, (_, i) =>
                (i % 2 === 0 ? log : other!).append(record(clinics[(round + i) % 2])),
              ),
            ),
          ),
        )
      ).flat();
      // Gap-free: the 60 records hold exactly the 60 leaves the tree grew by.
      const indexes = stored.map((r) => r.leafIndex).sort((a, b) => a - b);
      expect(indexes).toEqual(Array.from({ length: 60 }, (_, i) => before + i));
      expect((await other.head()).size).toBe(before + 60);
      for (const clinicId of clinics) {
        const records = await other.clinicRecords(clinicId);
        expect(records).toHaveLength(30);
        expect(verifyAccessChain(records.map(asRecorded))).toMatchObject({ valid: true });
      }
      await expectInTree(other, stored);
    });
  });
}
