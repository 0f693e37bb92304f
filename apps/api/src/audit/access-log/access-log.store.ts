/**
 * The access log (audit.md §3) in its own SQLite file, `DATA_DIR/access-log.sqlite`:
 * one row per recorded request, chained per clinic, and each record's hash a
 * leaf of the `access` Merkle tree, whose nodes live in the same file and are
 * written in the same transaction as the records. Appends issued in the same
 * turn of the event loop are committed together, as the event store's
 * commands are, so an answer waits for one shared fsync: the WAL's, done on
 * libuv's thread pool (synchronous=NORMAL + fdatasync) so that the event loop
 * serves requests meanwhile; records arriving during an fsync are committed
 * right after it. The tree head (what checkpoints sign) counts durable leaves only.
 * Append-only: triggers refuse UPDATE and DELETE on the records and the nodes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GENESIS_HASH,
  IncrementalMerkleTree,
  SqliteMerkleNodeStore,
  sealAccessRecord,
  type TreeHead,
  type UnsealedAccessRecord,
} from '@ipt/audit';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '@ipt/event-store';
import {
  AccessLogUnavailableError,
  fromAccessRecordRow,
  type AccessLog,
  type AccessLogQuery,
  type AccessRecordRow,
  type PendingAccessRecord,
  type StoredAccessRecord,
} from './access-log';

export const ACCESS_LOG_FILE = 'access-log.sqlite';
/** Most records committed in one transaction. */
const MAX_RECORDS_PER_COMMIT = 1000;

export {
  AccessLogUnavailableError,
  asRecorded,
  type AccessLogQuery,
  type StoredAccessRecord,
} from './access-log';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS access_records (
    leaf_index INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    clinic_id TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    course_id TEXT,
    status INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS access_records_by_clinic ON access_records (clinic_id, leaf_index);
  CREATE INDEX IF NOT EXISTS access_records_by_course
    ON access_records (clinic_id, course_id, leaf_index);
  CREATE INDEX IF NOT EXISTS access_records_by_actor
    ON access_records (clinic_id, actor_id, leaf_index);
  CREATE TRIGGER IF NOT EXISTS access_records_no_update BEFORE UPDATE ON access_records
    BEGIN SELECT RAISE(ABORT, 'access records are append-only'); END;
  CREATE TRIGGER IF NOT EXISTS access_records_no_delete BEFORE DELETE ON access_records
    BEGIN SELECT RAISE(ABORT, 'access records are append-only'); END;
  CREATE TRIGGER IF NOT EXISTS access_tree_nodes_no_update BEFORE UPDATE ON audit_merkle_nodes
    BEGIN SELECT RAISE(ABORT, 'Merkle nodes are append-only'); END;
  CREATE TRIGGER IF NOT EXISTS access_tree_nodes_no_delete BEFORE DELETE ON audit_merkle_nodes
    BEGIN SELECT RAISE(ABORT, 'Merkle nodes are append-only'); END;
`;

/**
 * The SQLite adapter of the access log. Appends stay synchronous underneath
 * (one transaction per group, the WAL fsynced off the event loop): every read
 * of the embedded mode writes a record, so this path is kept as fast as it was.
 */
export class AccessLogStore implements AccessLog {
  private readonly db: SqliteDatabase;
  private readonly tree: IncrementalMerkleTree;
  /** Last hash per clinic, read from the file on first use. */
  private readonly heads = new Map<string, string>();
  private queue: PendingAccessRecord[] = [];
  private flushScheduled = false;
  /** The WAL, fsynced off the event loop after each group of commits; undefined: COMMIT fsyncs. */
  private walFd: number | undefined;
  private syncing = false;
  /** Leaves known to be on disk: the head that checkpoints sign. */
  private durableSize: number;
  private idle: (() => void)[] = [];
  private readonly stmt: {
    begin: SqliteStatement;
    commit: SqliteStatement;
    rollback: SqliteStatement;
    insert: SqliteStatement<unknown[]>;
    lastHash: SqliteStatement<[string], { hash: string }>;
    clinicRecords: SqliteStatement<[string], AccessRecordRow>;
  };

  constructor(readonly filename: string) {
    // openSqlite creates the file (and its -wal, -shm) owner-only: the log names who read which course.
    this.db = openSqlite(filename);
    this.db.pragma('journal_mode = WAL');
    // An answer leaves only after its record is on disk (audit.md §3): the WAL is fsynced before
    // (off the event loop when the WAL file can be opened, else by COMMIT itself).
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // The node store creates its tables; the triggers below need them.
    this.tree = new IncrementalMerkleTree(new SqliteMerkleNodeStore(this.db, 'access'));
    this.db.exec(SCHEMA);
    this.stmt = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
      insert: this.db.prepare(
        `INSERT INTO access_records (leaf_index, record_id, at, actor_id, actor_role, clinic_id,
           method, route, course_id, status, request_id, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      lastHash: this.db.prepare(
        'SELECT hash FROM access_records WHERE clinic_id = ? ORDER BY leaf_index DESC LIMIT 1',
      ),
      clinicRecords: this.db.prepare(
        'SELECT * FROM access_records WHERE clinic_id = ? ORDER BY leaf_index',
      ),
    };
    const stored = (
      this.db.prepare('SELECT COUNT(*) AS n FROM access_records').get() as {
        n: number;
      }
    ).n;
    if (stored !== this.tree.size) {
      throw new Error(
        `access log: ${stored} records but ${this.tree.size} leaves in the access tree`,
      );
    }
    this.durableSize = this.tree.size;
    // The schema's writes have created the WAL file by now.
    this.walFd = openWal(filename);
    if (this.walFd !== undefined) this.db.pragma('synchronous = NORMAL');
  }

  static inDataDir(dataDir: string): AccessLogStore {
    return new AccessLogStore(path.join(dataDir, ACCESS_LOG_FILE));
  }

  /** Resolves once the record is committed, with its place in the tree. */
  append(record: UnsealedAccessRecord): Promise<StoredAccessRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Resolves when every queued record has been committed (or refused). */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && !this.flushScheduled && !this.syncing) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  head(): Promise<TreeHead> {
    const size = this.durableSize;
    return Promise.resolve({ size, root: this.tree.root(size).toString('hex') });
  }

  inclusionProof(leafIndex: number, size: number): Promise<string[]> {
    return attempt(() =>
      this.tree.inclusionProof(leafIndex, size).map((node) => node.toString('hex')),
    );
  }

  leafHash(leafIndex: number): Promise<string> {
    return attempt(() => this.tree.leafHash(leafIndex).toString('hex'));
  }

  query(query: AccessLogQuery): Promise<StoredAccessRecord[]> {
    return attempt(() => this.querySync(query));
  }

  private querySync(query: AccessLogQuery): StoredAccessRecord[] {
    const where = ['clinic_id = ?'];
    const params: unknown[] = [query.clinicId];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (query.courseId !== undefined) add('course_id = ?', query.courseId);
    if (query.actorId !== undefined) add('actor_id = ?', query.actorId);
    if (query.from !== undefined) add('at >= ?', query.from);
    if (query.to !== undefined) add('at < ?', query.to);
    if (query.beforeLeaf !== undefined) add('leaf_index < ?', query.beforeLeaf);
    params.push(query.limit);
    const rows = this.db
      .prepare<unknown[], AccessRecordRow>(
        `SELECT * FROM access_records WHERE ${where.join(' AND ')}
         ORDER BY leaf_index DESC LIMIT ?`,
      )
      .all(...params);
    return rows.map(fromAccessRecordRow);
  }

  clinicRecords(clinicId: string): Promise<StoredAccessRecord[]> {
    return attempt(() => this.stmt.clinicRecords.all(clinicId).map(fromAccessRecordRow));
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.db.open) this.db.close();
    if (this.walFd !== undefined && !this.syncing) {
      fs.closeSync(this.walFd);
      this.walFd = undefined;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate (not a microtask): answers sent in the same I/O phase join one commit.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    // An fsync is in flight: what waits is committed when it returns.
    if (this.syncing) return;
    if (this.walFd === undefined) {
      const batch = this.queue.splice(0, MAX_RECORDS_PER_COMMIT);
      if (this.queue.length > 0) this.scheduleFlush();
      const done = batch.length > 0 ? this.commit(batch) : undefined;
      if (done) this.settle([done]);
      this.idleCheck();
      return;
    }
    const committed: Committed[] = [];
    while (this.queue.length > 0) {
      const done = this.commit(this.queue.splice(0, MAX_RECORDS_PER_COMMIT));
      if (done) committed.push(done);
    }
    if (committed.length === 0) {
      this.idleCheck();
      return;
    }
    this.syncing = true;
    const size = this.tree.size;
    fs.fdatasync(this.walFd, (error) => {
      this.syncing = false;
      if (error) {
        const unavailable = new AccessLogUnavailableError('the access log could not sync to disk', {
          cause: error,
        });
        for (const { batch } of committed) for (const pending of batch) pending.reject(unavailable);
      } else {
        this.durableSize = size;
        this.settle(committed);
      }
      if (this.queue.length > 0) this.scheduleFlush();
      else this.idleCheck();
    });
  }

  private idleCheck(): void {
    if (this.queue.length === 0 && !this.flushScheduled && !this.syncing) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private settle(committed: Committed[]): void {
    for (const { batch, stored } of committed)
      for (const [i, pending] of batch.entries()) pending.resolve(stored[i]);
    if (this.walFd === undefined) this.durableSize = this.tree.size;
  }

  /** One transaction; undefined when it failed (its records are refused already). */
  private commit(batch: PendingAccessRecord[]): Committed | undefined {
    const stored: StoredAccessRecord[] = [];
    const heads = new Map<string, string>();
    try {
      this.stmt.begin.run();
      const first = this.tree.size;
      for (const [i, { record }] of batch.entries()) {
        const prevHash = heads.get(record.clinicId) ?? this.lastHash(record.clinicId);
        const sealed = sealAccessRecord(record, prevHash);
        const leafIndex = first + i;
        this.stmt.insert.run(
          leafIndex,
          sealed.recordId,
          sealed.at,
          sealed.actor.id,
          sealed.actor.role,
          sealed.clinicId,
          sealed.method,
          sealed.route,
          sealed.courseId,
          sealed.status,
          sealed.requestId,
          sealed.prevHash,
          sealed.hash,
        );
        heads.set(sealed.clinicId, sealed.hash);
        stored.push({ ...sealed, leafIndex });
      }
      this.tree.appendAll(stored.map((record) => Buffer.from(record.hash, 'hex')));
      this.stmt.commit.run();
    } catch (error) {
      if (this.db.inTransaction) {
        try {
          this.stmt.rollback.run();
        } catch {
          // the connection is unusable; the error below says why
        }
      }
      // The tree's frontier may hold the rolled-back leaves: reread it from the file.
      this.tree.refresh();
      const unavailable = new AccessLogUnavailableError('the access log could not commit', {
        cause: error,
      });
      for (const pending of batch) pending.reject(unavailable);
      return undefined;
    }
    // The next records chain on these at once (the file holds them); answers wait for the fsync.
    for (const [clinicId, hash] of heads) this.heads.set(clinicId, hash);
    return { batch, stored };
  }

  private lastHash(clinicId: string): string {
    let hash = this.heads.get(clinicId);
    if (hash === undefined) {
      hash = this.stmt.lastHash.get(clinicId)?.hash ?? GENESIS_HASH;
      this.heads.set(clinicId, hash);
    }
    return hash;
  }
}

/** A synchronous read as a promise: a throw becomes a rejection. */
function attempt<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

interface Committed {
  batch: PendingAccessRecord[];
  stored: StoredAccessRecord[];
}

/** The database's WAL file, open for fdatasync; undefined when there is none. */
function openWal(filename: string): number | undefined {
  if (filename === '' || filename === ':memory:' || filename.startsWith('file:')) return undefined;
  try {
    return fs.openSync(`${filename}-wal`, 'r');
  } catch {
    return undefined;
  }
}
