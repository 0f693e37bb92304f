/**
 * The access log's SQLite file: per-clinic chains, leaves of the access tree
 * checked by the offline verifier's own RFC 9162 code, group commit, reopen,
 * append-only triggers and the file's mode.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hashLeaf, verifyInclusionProof } from '@ipt/audit-verifier';
import { GENESIS_HASH, verifyAccessChain, type UnsealedAccessRecord } from '@ipt/audit';
import { openSqlite } from '@ipt/event-store';
import { AccessLogStore, asRecorded } from './access-log.store';

function record(clinicId: string, overrides: Partial<UnsealedAccessRecord> = {}) {
  return {
    recordId: randomUUID(),
    at: new Date().toISOString(),
    actor: { id: `clinician@${clinicId}`, role: 'clinician' },
    clinicId,
    method: 'GET',
    route: '/v1/courses/{courseId}',
    courseId: randomUUID(),
    status: 200,
    requestId: randomUUID(),
    ...overrides,
  };
}

describe('AccessLogStore', () => {
  let dir: string;
  let log: AccessLogStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-access-log-'));
    log = AccessLogStore.inDataDir(dir);
  });

  afterEach(async () => {
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('chains each clinic on its own and makes every record a leaf of the access tree', async () => {
    const clinics = ['clinic-a', 'clinic-b', 'clinic-c'];
    // Appended in one turn: committed together, in the order given.
    const stored = await Promise.all(
      Array.from({ length: 37 }, (_, i) =>
        log.append(record(clinics[i % 3], { status: [200, 404, 409][i % 3] })),
      ),
    );
    expect(stored.map((r) => r.leafIndex)).toEqual(stored.map((_, i) => i));
    for (const clinicId of clinics) {
      const records = log.clinicRecords(clinicId);
      expect(records[0].prevHash).toBe(GENESIS_HASH);
      expect(verifyAccessChain(records.map(asRecorded))).toMatchObject({ valid: true });
    }
    const { size, root } = log.head();
    expect(size).toBe(37);
    for (const r of stored) {
      const proof = log.inclusionProof(r.leafIndex, size).map((h) => Buffer.from(h, 'hex'));
      const leaf = hashLeaf(Buffer.from(r.hash, 'hex'));
      expect(log.leafHash(r.leafIndex)).toBe(leaf.toString('hex'));
      expect(verifyInclusionProof(leaf, r.leafIndex, size, proof, Buffer.from(root, 'hex'))).toBe(
        true,
      );
    }
  });

  it('continues each chain and the tree after a reopen', async () => {
    const first = await log.append(record('clinic-a'));
    await log.close();
    log = AccessLogStore.inDataDir(dir);
    const second = await log.append(record('clinic-a'));
    expect(second.prevHash).toBe(first.hash);
    expect(second.leafIndex).toBe(1);
    expect(verifyAccessChain(log.clinicRecords('clinic-a').map(asRecorded))).toMatchObject({
      valid: true,
    });
  });

  it('answers a clinic’s records newest first, filtered, in pages', async () => {
    const courseId = randomUUID();
    for (let i = 0; i < 5; i++) {
      await log.append(record('clinic-a', { courseId: i % 2 === 0 ? courseId : null }));
    }
    await log.append(record('clinic-b', { courseId }));
    const all = log.query({ clinicId: 'clinic-a', limit: 10 });
    expect(all.map((r) => r.leafIndex)).toEqual([4, 3, 2, 1, 0]);
    expect(
      log.query({ clinicId: 'clinic-a', courseId, limit: 10 }).map((r) => r.leafIndex),
    ).toEqual([4, 2, 0]);
    expect(
      log.query({ clinicId: 'clinic-a', beforeLeaf: 3, limit: 2 }).map((r) => r.leafIndex),
    ).toEqual([2, 1]);
    expect(log.query({ clinicId: 'clinic-b', limit: 10 }).map((r) => r.leafIndex)).toEqual([5]);
  });

  it('refuses UPDATE and DELETE of records and tree nodes on the file itself', async () => {
    await log.append(record('clinic-a'));
    const db = openSqlite(log.filename);
    try {
      expect(() => db.exec('UPDATE access_records SET status = 200 WHERE leaf_index = 0')).toThrow(
        /append-only/,
      );
      expect(() => db.exec('DELETE FROM access_records')).toThrow(/append-only/);
      expect(() => db.exec("UPDATE audit_merkle_nodes SET hash = x'00'")).toThrow(/append-only/);
      expect(() => db.exec('DELETE FROM audit_merkle_nodes')).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(log.clinicRecords('clinic-a')).toHaveLength(1);
  });

  it('keeps the file readable by its owner only', async () => {
    await log.append(record('clinic-a'));
    for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('access-log.sqlite'))) {
      expect((fs.statSync(path.join(dir, file)).mode & 0o777).toString(8)).toBe('600');
    }
  });
});
