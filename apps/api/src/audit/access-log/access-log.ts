/**
 * The access log port (audit.md §3): records chained per clinic, each one a
 * leaf of the `access` Merkle tree, committed before the answer leaves. An
 * adapter per database: SQLite (`DATA_DIR/access-log.sqlite`, the embedded
 * mode, access-log.store.ts) and PostgreSQL (DATABASE_URL, every API instance
 * writing one log, access-log.postgres.ts); one contract suite runs on both
 * (test/contract/access-log.contract.ts).
 */
import type { AccessRecord, TreeHead, UnsealedAccessRecord } from '@ipt/audit';

export interface StoredAccessRecord extends AccessRecord {
  /** Where the record sits in the access tree; not part of what `hash` covers. */
  leafIndex: number;
}

/** The record as hashed and chained (audit.md §3), without its leaf index. */
export function asRecorded({ leafIndex: _leafIndex, ...record }: StoredAccessRecord): AccessRecord {
  return record;
}

export interface AccessLogQuery {
  clinicId: string;
  courseId?: string;
  actorId?: string;
  /** ISO instants (normalised to toISOString()): `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
  /** Only records older than this leaf (the cursor). */
  beforeLeaf?: number;
  limit: number;
}

/** A stored record as both adapters' tables hold it. */
export interface AccessRecordRow {
  leaf_index: number;
  record_id: string;
  at: string;
  actor_id: string;
  actor_role: string;
  clinic_id: string;
  method: string;
  route: string;
  course_id: string | null;
  status: number;
  request_id: string;
  prev_hash: string;
  hash: string;
}

export function fromAccessRecordRow(row: AccessRecordRow): StoredAccessRecord {
  return {
    leafIndex: Number(row.leaf_index),
    recordId: row.record_id,
    at: row.at,
    actor: { id: row.actor_id, role: row.actor_role },
    clinicId: row.clinic_id,
    method: row.method,
    route: row.route,
    courseId: row.course_id,
    status: Number(row.status),
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** A record waiting for its group commit, and the answer waiting for it. */
export interface PendingAccessRecord {
  record: UnsealedAccessRecord;
  resolve(stored: StoredAccessRecord): void;
  reject(error: unknown): void;
}

/** The access log could not commit: the answer must not leave as if it had been recorded. */
export class AccessLogUnavailableError extends Error {
  override readonly name = 'AccessLogUnavailableError';
}

export interface AccessLog {
  /**
   * Resolves once the record is committed, with its place in the tree;
   * records appended together are committed together (group commit).
   */
  append(record: UnsealedAccessRecord): Promise<StoredAccessRecord>;
  /** Resolves when every queued record has been committed (or refused). */
  drain(): Promise<void>;
  /** The committed access tree's size and root: what checkpoints sign. */
  head(): Promise<TreeHead>;
  /** RFC 6962 inclusion proof (hex) of a leaf in the tree at `size`. */
  inclusionProof(leafIndex: number, size: number): Promise<string[]>;
  /** The leaf hash at `leafIndex` (hex), to check a record against the tree. */
  leafHash(leafIndex: number): Promise<string>;
  /** A clinic's records, newest first, filtered; one more than `limit` tells a next page exists. */
  query(query: AccessLogQuery): Promise<StoredAccessRecord[]>;
  /** Every record of a clinic in the order recorded (for verification). */
  clinicRecords(clinicId: string): Promise<StoredAccessRecord[]>;
  close(): Promise<void>;
}

/** The injection token of the configured access log. */
export const ACCESS_LOG = Symbol('AccessLog');
