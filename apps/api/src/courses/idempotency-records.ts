/**
 * The first answer to each Idempotency-Key, per clinic (domain rule 15). The
 * event stream is the source of truth (keys travel in event metadata); these
 * records add what the stream cannot: a key reused on another course.
 *
 * The port, with an adapter per database: SQLite (the embedded mode's
 * read-models.sqlite) and PostgreSQL (DATABASE_URL, shared by every API
 * instance). One contract suite runs on both (test/contract/idempotency-records.contract.ts).
 */
export interface CommandAnswer {
  status: 200 | 201;
  body: {
    courseId: string;
    revision: number;
    total?: number | null;
    severity?: string | null;
    riskFlagId?: string | null;
    /** An erasure's receipt (privacy.md). */
    keyId?: string;
    erasedAt?: string;
  };
  /** Digest of the request that produced the answer. */
  requestDigest: string;
}

/** Nest's injection token and the port: the records of the deployment's database. */
export abstract class IdempotencyRecords {
  /** The first answer recorded for the clinic's key, if any. */
  abstract find(clinicId: string, key: string): Promise<CommandAnswer | undefined>;
  /** Records the answer unless one is recorded already (the first answer stays). */
  abstract save(clinicId: string, key: string, answer: CommandAnswer): Promise<void>;
}
