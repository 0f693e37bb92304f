/**
 * The access log in PostgreSQL (DATABASE_URL): one log for every API
 * instance, in the tables of @ipt/database's migration 0005-audit. Every
 * PostgreSQL detail of the access log is in this file.
 *
 * Group commit: records appended while a commit is in flight are inserted
 * together in the next transaction (at most two of an instance under way at
 * once), and each answer waits for its commit.
 * Appends from several instances are serialized by the row lock on the
 * `access` tree's row (SELECT … FOR UPDATE in the node store), taken first in
 * each transaction: under it the transaction reads the tree's size and each
 * clinic's last hash, so leaf indexes and chains stay gap-free across
 * instances and nothing is cached between transactions. Append-only is
 * enforced by the database's triggers (no UPDATE, DELETE or TRUNCATE).
 */
import type { Pool, PoolClient } from 'pg';
import {
  GENESIS_HASH,
  MerkleTreeReader,
  PostgresMerkleNodeStore,
  sealAccessRecord,
  type TreeHead,
  type UnsealedAccessRecord,
} from '@ipt/audit';
import {
  DatabaseUnavailableError,
  inTransaction,
  isDatabaseUnavailable,
  whileAvailable,
} from '@ipt/database';
import { ACCESS_TREE } from '@ipt/projections';
import {
  AccessLogUnavailableError,
  fromAccessRecordRow,
  type AccessLog,
  type AccessLogQuery,
  type AccessRecordRow,
  type PendingAccessRecord,
  type StoredAccessRecord,
} from './access-log';

/** Most records committed in one transaction. */
const MAX_RECORDS_PER_COMMIT = 1000;
/** Transactions of one instance under way at once (each holds a pooled connection). */
const MAX_COMMITS_IN_FLIGHT = 2;

export class PostgresAccessLog implements AccessLog {
  private readonly nodes: PostgresMerkleNodeStore;
  private readonly tree: MerkleTreeReader;
  private queue: PendingAccessRecord[] = [];
  /** Transactions under way; the next one waits for the tree's lock, not for their commits. */
  private inFlight = 0;
  private flushScheduled = false;
  private idle: (() => void)[] = [];

  constructor(private readonly pool: Pool) {
    this.nodes = new PostgresMerkleNodeStore(pool, ACCESS_TREE);
    this.tree = new MerkleTreeReader(this.nodes);
  }

  append(record: UnsealedAccessRecord): Promise<StoredAccessRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.scheduleFlush();
    });
  }

  async drain(): Promise<void> {
    if (this.queue.length === 0 && !this.flushScheduled && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  head(): Promise<TreeHead> {
    return whileAvailable(async () => {
      const size = await this.tree.size();
      return { size, root: (await this.tree.root(size)).toString('hex') };
    });
  }

  inclusionProof(leafIndex: number, size: number): Promise<string[]> {
    return whileAvailable(async () =>
      (await this.tree.inclusionProof(leafIndex, size)).map((node) => node.toString('hex')),
    );
  }

  leafHash(leafIndex: number): Promise<string> {
    return whileAvailable(async () =>
      (await this.tree.leafHash(leafIndex, leafIndex + 1)).toString('hex'),
    );
  }

  query(query: AccessLogQuery): Promise<StoredAccessRecord[]> {
    const where = ['clinic_id = $1'];
    const params: unknown[] = [query.clinicId];
    const add = (column: string, operator: string, value: unknown) => {
      params.push(value);
      where.push(`${column} ${operator} $${params.length}`);
    };
    if (query.courseId !== undefined) add('course_id', '=', query.courseId);
    if (query.actorId !== undefined) add('actor_id', '=', query.actorId);
    if (query.from !== undefined) add('at', '>=', query.from);
    if (query.to !== undefined) add('at', '<', query.to);
    if (query.beforeLeaf !== undefined) add('leaf_index', '<', query.beforeLeaf);
    params.push(query.limit);
    return whileAvailable(async () => {
      const { rows } = await this.pool.query<AccessRecordRow>(
        `SELECT * FROM access_records WHERE ${where.join(' AND ')}
          ORDER BY leaf_index DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(fromAccessRecordRow);
    });
  }

  clinicRecords(clinicId: string): Promise<StoredAccessRecord[]> {
    return whileAvailable(async () => {
      const { rows } = await this.pool.query<AccessRecordRow>(
        'SELECT * FROM access_records WHERE clinic_id = $1 ORDER BY leaf_index',
        [clinicId],
      );
      return rows.map(fromAccessRecordRow);
    });
  }

  /** Waits for the records queued; the pool belongs to the caller. */
  async close(): Promise<void> {
    await this.drain();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight >= MAX_COMMITS_IN_FLIGHT) return;
    this.flushScheduled = true;
    // setImmediate (not a microtask): answers sent in the same I/O phase join one commit.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= MAX_COMMITS_IN_FLIGHT) return;
    const batch = this.queue.splice(0, MAX_RECORDS_PER_COMMIT);
    if (batch.length === 0) {
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    // What arrives meanwhile goes in the next transaction, which queues behind this one's lock
    // while this one commits: the round trips of the two overlap.
    this.inFlight++;
    void this.commit(batch).finally(() => {
      this.inFlight--;
      this.flush();
    });
  }

  private async commit(batch: PendingAccessRecord[]): Promise<void> {
    try {
      const stored = await inTransaction(this.pool, (client) => this.insert(client, batch));
      for (const [i, pending] of batch.entries()) pending.resolve(stored[i]);
    } catch (error) {
      const refusal = isDatabaseUnavailable(error)
        ? new DatabaseUnavailableError()
        : new AccessLogUnavailableError('the access log could not commit', { cause: error });
      for (const pending of batch) pending.reject(refusal);
    }
  }

  private async insert(
    client: PoolClient,
    batch: PendingAccessRecord[],
  ): Promise<StoredAccessRecord[]> {
    // The lock first: every other instance's append waits here until this one commits.
    const first = await this.nodes.lockForAppend(client);
    const clinics = [...new Set(batch.map((p) => p.record.clinicId))];
    const { rows: heads } = await client.query<{ clinic_id: string; hash: string | null }>(
      `SELECT c.clinic_id,
              (SELECT hash FROM access_records r WHERE r.clinic_id = c.clinic_id
                ORDER BY leaf_index DESC LIMIT 1) AS hash
         FROM unnest($1::text[]) AS c (clinic_id)`,
      [clinics],
    );
    const last = new Map(heads.map((h) => [h.clinic_id, h.hash ?? GENESIS_HASH]));
    const stored = batch.map(({ record }, i) => {
      const sealed = sealAccessRecord(record, last.get(record.clinicId) ?? GENESIS_HASH);
      last.set(sealed.clinicId, sealed.hash);
      return { ...sealed, leafIndex: first + i };
    });
    const column = <T>(of: (r: StoredAccessRecord) => T) => stored.map(of);
    await client.query(
      `INSERT INTO access_records (leaf_index, record_id, at, actor_id, actor_role, clinic_id,
         method, route, course_id, status, request_id, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
         $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[], $12::text[],
         $13::text[])`,
      [
        column((r) => r.leafIndex),
        column((r) => r.recordId),
        column((r) => r.at),
        column((r) => r.actor.id),
        column((r) => r.actor.role),
        column((r) => r.clinicId),
        column((r) => r.method),
        column((r) => r.route),
        column((r) => r.courseId),
        column((r) => r.status),
        column((r) => r.requestId),
        column((r) => r.prevHash),
        column((r) => r.hash),
      ],
    );
    await this.nodes.appendLocked(
      client,
      first,
      stored.map((r) => Buffer.from(r.hash, 'hex')),
    );
    return stored;
  }
}
