/**
 * Access records (audit.md §3): one per request that reads or writes a
 * course, a clinic summary, the access log or an export. `prevHash` chains the
 * records of one clinic; `hash` is the canonical hash of the record without
 * `hash`, and its 32 bytes are the record's leaf in the `access` tree.
 */
import { canonicalHash, GENESIS_HASH, isHexHash } from './hashing';

export interface AccessRecord {
  recordId: string;
  at: string;
  actor: { id: string; role: string };
  /** The caller's clinic. */
  clinicId: string;
  method: string;
  /** The route template, never the raw URL. */
  route: string;
  courseId: string | null;
  status: number;
  requestId: string;
  prevHash: string;
  hash: string;
}

export type UnsealedAccessRecord = Omit<AccessRecord, 'prevHash' | 'hash'>;

export function hashAccessRecord(record: Omit<AccessRecord, 'hash'> | AccessRecord): string {
  const { hash: _hash, ...rest } = record as AccessRecord;
  return canonicalHash(rest);
}

/** `prevHash`: the hash of the clinic's previous record (GENESIS_HASH for its first). */
export function sealAccessRecord(record: UnsealedAccessRecord, prevHash: string): AccessRecord {
  const unsealed = { ...record, prevHash };
  return { ...unsealed, hash: hashAccessRecord(unsealed) };
}

export interface AccessChainVerification {
  valid: boolean;
  /** Index (in the list given) of the first record that does not hold; null when valid. */
  brokenAtIndex: number | null;
  recordId: string | null;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'clinic_mismatch' | null;
}

/** Checks one clinic's records in the order they were recorded. */
export function verifyAccessChain(
  records: readonly AccessRecord[],
  prevHash: string = GENESIS_HASH,
): AccessChainVerification {
  let previous = prevHash;
  const clinicId = records[0]?.clinicId;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const broken = (reason: AccessChainVerification['reason']): AccessChainVerification => ({
      valid: false,
      brokenAtIndex: i,
      recordId: record.recordId,
      reason,
    });
    if (record.clinicId !== clinicId) return broken('clinic_mismatch');
    if (!isHexHash(record.hash) || record.hash !== hashAccessRecord(record)) {
      return broken('hash_mismatch');
    }
    if (record.prevHash !== previous) return broken('prev_hash_mismatch');
    previous = record.hash;
  }
  return { valid: true, brokenAtIndex: null, recordId: null, reason: null };
}
