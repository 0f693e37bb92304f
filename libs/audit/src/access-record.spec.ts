import { randomUUID } from 'node:crypto';
import {
  hashAccessRecord,
  sealAccessRecord,
  verifyAccessChain,
  type AccessRecord,
} from './access-record';
import { canonicalHash, GENESIS_HASH } from './hashing';

function clinicLog(length: number): AccessRecord[] {
  const records: AccessRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 0; i < length; i++) {
    const record = sealAccessRecord(
      {
        recordId: randomUUID(),
        at: `2026-11-26T10:00:0${i}.000Z`,
        actor: { id: 'u1', role: i % 2 ? 'auditor' : 'clinician' },
        clinicId: 'clinic-a',
        method: 'GET',
        route: '/v1/courses/:courseId',
        courseId: randomUUID(),
        status: i === 3 ? 404 : 200,
        requestId: randomUUID(),
      },
      prevHash,
    );
    records.push(record);
    prevHash = record.hash;
  }
  return records;
}

describe('access records', () => {
  const log = clinicLog(6);

  it('hash the canonical JSON of the record without its hash, chained per clinic', () => {
    const { hash, ...rest } = log[2];
    expect(hash).toBe(canonicalHash(rest));
    expect(hashAccessRecord(log[2])).toBe(hash);
    expect(log[2].prevHash).toBe(log[1].hash);
    expect(verifyAccessChain(log)).toEqual({
      valid: true,
      brokenAtIndex: null,
      recordId: null,
      reason: null,
    });
  });

  it('catch a changed status at its record', () => {
    const records = log.map((r) => ({ ...r }));
    records[3] = { ...records[3], status: 200 };
    expect(verifyAccessChain(records)).toMatchObject({
      valid: false,
      brokenAtIndex: 3,
      recordId: log[3].recordId,
      reason: 'hash_mismatch',
    });
  });

  it('catch a deleted record at its successor', () => {
    const records = [...log.slice(0, 2), ...log.slice(3)];
    expect(verifyAccessChain(records)).toMatchObject({
      brokenAtIndex: 2,
      recordId: log[3].recordId,
      reason: 'prev_hash_mismatch',
    });
  });

  it("catch another clinic's record in the chain", () => {
    const stranger = sealAccessRecord({ ...log[1], clinicId: 'clinic-b' }, log[0].hash);
    expect(verifyAccessChain([log[0], stranger])).toMatchObject({
      brokenAtIndex: 1,
      reason: 'clinic_mismatch',
    });
  });
});
