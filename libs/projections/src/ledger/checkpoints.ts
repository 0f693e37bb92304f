/**
 * Signed checkpoints of the ledger log (audit.md §2): stored in order, never
 * changed, and issued by exactly one process (the API in the embedded mode,
 * the projector otherwise) whenever a tree has grown, at most every
 * CHECKPOINT_INTERVAL_MS. Before signing, the events tree is checked against
 * every stored checkpoint it has reached: a tree that no longer gives their
 * roots (rebuilt from altered events) is reported and never signed over.
 *
 * The checkpoints are a port with an adapter per database: SQLite (the
 * read-model file) and PostgreSQL (DATABASE_URL: written by the active
 * projector, read by every API instance), one contract suite run on both.
 */
import type { Pool } from 'pg';
import {
  EMPTY_TREE_ROOT,
  signCheckpoint,
  type AuditPublicKey,
  type AuditSigningKey,
  type MerkleTreeReader,
  type SignedCheckpoint,
  type TreeHead,
} from '@ipt/audit';
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';

/** The head of the access tree, from the access log; a token so the API can inject it. */
export interface AccessTreeHead {
  head(): Promise<TreeHead>;
}
export const ACCESS_TREE_HEAD = Symbol('AccessTreeHead');

/** Where no access log is kept (a process that signs the events tree only): the empty tree. */
export const EMPTY_ACCESS_TREE: AccessTreeHead = {
  head: () => Promise.resolve({ size: 0, root: EMPTY_TREE_ROOT.toString('hex') }),
};

export interface StoredCheckpoint extends SignedCheckpoint {
  /** 1, 2, 3… in the order issued. */
  sequence: number;
}

/** The stored checkpoints, and the public keys that signed them. */
export interface CheckpointLog {
  append(signed: SignedCheckpoint): Promise<StoredCheckpoint>;
  latest(): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints issued after `sequence`, oldest first. */
  after(sequence: number, limit: number): Promise<StoredCheckpoint[]>;
  unpublished(): Promise<StoredCheckpoint[]>;
  published(sequence: number): Promise<void>;
  /** Records the signer's public key, so that processes without the private key answer with it. */
  registerKey(key: AuditPublicKey): Promise<void>;
  /** A registered public key by id; the latest registered without one. */
  publicKey(keyId?: string): Promise<AuditPublicKey | undefined>;
}

const SQLITE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    events_size INTEGER NOT NULL,
    access_size INTEGER NOT NULL,
    issued_at TEXT NOT NULL,
    signed TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS audit_signing_keys (
    key_id TEXT PRIMARY KEY,
    jwk TEXT NOT NULL,
    pem TEXT NOT NULL,
    registered_at TEXT NOT NULL
  );
`;

type KeyRow = { key_id: string; jwk: string; pem: string };

/** The checkpoints in the SQLite read-model file (synchronous underneath: answers already resolved). */
export class SqliteCheckpointLog implements CheckpointLog {
  private readonly insert: SqliteStatement<[number, number, string, string]>;
  private readonly selectLatest: SqliteStatement<[], { seq: number; signed: string }>;
  private readonly selectAfter: SqliteStatement<[number, number], { seq: number; signed: string }>;
  private readonly selectUnpublished: SqliteStatement<[], { seq: number; signed: string }>;
  private readonly markPublished: SqliteStatement<[number]>;
  private readonly insertKey: SqliteStatement<[string, string, string, string]>;
  private readonly selectKey: SqliteStatement<[string], KeyRow>;
  private readonly selectLatestKey: SqliteStatement<[], KeyRow>;

  constructor(db: SqliteDatabase) {
    db.exec(SQLITE_SCHEMA);
    this.insert = db.prepare(
      'INSERT INTO audit_checkpoints (events_size, access_size, issued_at, signed) VALUES (?, ?, ?, ?)',
    );
    this.selectLatest = db.prepare(
      'SELECT seq, signed FROM audit_checkpoints ORDER BY seq DESC LIMIT 1',
    );
    this.selectAfter = db.prepare(
      'SELECT seq, signed FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.selectUnpublished = db.prepare(
      'SELECT seq, signed FROM audit_checkpoints WHERE published = 0 ORDER BY seq',
    );
    this.markPublished = db.prepare('UPDATE audit_checkpoints SET published = 1 WHERE seq = ?');
    this.insertKey = db.prepare(
      `INSERT INTO audit_signing_keys (key_id, jwk, pem, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key_id) DO NOTHING`,
    );
    this.selectKey = db.prepare('SELECT key_id, jwk, pem FROM audit_signing_keys WHERE key_id = ?');
    this.selectLatestKey = db.prepare(
      'SELECT key_id, jwk, pem FROM audit_signing_keys ORDER BY registered_at DESC, rowid DESC LIMIT 1',
    );
  }

  append(signed: SignedCheckpoint): Promise<StoredCheckpoint> {
    const { checkpoint } = signed;
    const result = this.insert.run(
      checkpoint.events.size,
      checkpoint.access.size,
      checkpoint.issuedAt,
      JSON.stringify(signed),
    );
    return Promise.resolve({ sequence: Number(result.lastInsertRowid), ...signed });
  }

  latest(): Promise<StoredCheckpoint | undefined> {
    const row = this.selectLatest.get();
    return Promise.resolve(row && parse(row));
  }

  after(sequence: number, limit: number): Promise<StoredCheckpoint[]> {
    return Promise.resolve(this.selectAfter.all(sequence, limit).map(parse));
  }

  unpublished(): Promise<StoredCheckpoint[]> {
    return Promise.resolve(this.selectUnpublished.all().map(parse));
  }

  published(sequence: number): Promise<void> {
    this.markPublished.run(sequence);
    return Promise.resolve();
  }

  registerKey(key: AuditPublicKey): Promise<void> {
    this.insertKey.run(key.keyId, JSON.stringify(key.jwk), key.pem, new Date().toISOString());
    return Promise.resolve();
  }

  publicKey(keyId?: string): Promise<AuditPublicKey | undefined> {
    const row = keyId === undefined ? this.selectLatestKey.get() : this.selectKey.get(keyId);
    return Promise.resolve(row && keyOf(row));
  }
}

/**
 * The checkpoints in PostgreSQL (@ipt/database migration 0005-audit). One
 * process appends (the active projector, under its advisory lease); the
 * sequence is the next after the highest, and a second writer's insert of the
 * same sequence fails on the key. Triggers refuse any change but `published`.
 */
export class PostgresCheckpointLog implements CheckpointLog {
  constructor(private readonly pool: Pool) {}

  async append(signed: SignedCheckpoint): Promise<StoredCheckpoint> {
    const { checkpoint } = signed;
    const { rows } = await this.pool.query<{ seq: number }>(
      `INSERT INTO audit_checkpoints (seq, events_size, access_size, issued_at, signed)
       SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4 FROM audit_checkpoints
       RETURNING seq`,
      [checkpoint.events.size, checkpoint.access.size, checkpoint.issuedAt, JSON.stringify(signed)],
    );
    return { sequence: Number(rows[0].seq), ...signed };
  }

  async latest(): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.pool.query<{ seq: number; signed: string }>(
      'SELECT seq, signed FROM audit_checkpoints ORDER BY seq DESC LIMIT 1',
    );
    return rows[0] && parse(rows[0]);
  }

  async after(sequence: number, limit: number): Promise<StoredCheckpoint[]> {
    const { rows } = await this.pool.query<{ seq: number; signed: string }>(
      'SELECT seq, signed FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2',
      [sequence, limit],
    );
    return rows.map(parse);
  }

  async unpublished(): Promise<StoredCheckpoint[]> {
    const { rows } = await this.pool.query<{ seq: number; signed: string }>(
      'SELECT seq, signed FROM audit_checkpoints WHERE NOT published ORDER BY seq',
    );
    return rows.map(parse);
  }

  async published(sequence: number): Promise<void> {
    await this.pool.query('UPDATE audit_checkpoints SET published = true WHERE seq = $1', [
      sequence,
    ]);
  }

  async registerKey(key: AuditPublicKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO audit_signing_keys (key_id, jwk, pem) VALUES ($1, $2, $3)
       ON CONFLICT (key_id) DO NOTHING`,
      [key.keyId, JSON.stringify(key.jwk), key.pem],
    );
  }

  async publicKey(keyId?: string): Promise<AuditPublicKey | undefined> {
    const { rows } =
      keyId === undefined
        ? await this.pool.query<KeyRow>(
            'SELECT key_id, jwk, pem FROM audit_signing_keys ORDER BY registered_at DESC LIMIT 1',
          )
        : await this.pool.query<KeyRow>(
            'SELECT key_id, jwk, pem FROM audit_signing_keys WHERE key_id = $1',
            [keyId],
          );
    return rows[0] && keyOf(rows[0]);
  }
}

function parse(row: { seq: number; signed: string }): StoredCheckpoint {
  return { sequence: Number(row.seq), ...(JSON.parse(row.signed) as SignedCheckpoint) };
}

function keyOf(row: KeyRow): AuditPublicKey {
  return { keyId: row.key_id, jwk: JSON.parse(row.jwk) as AuditPublicKey['jwk'], pem: row.pem };
}

export interface TreeConsistency {
  consistent: boolean;
  /** The first stored checkpoint whose events root the tree no longer gives. */
  brokenAt?: { sequence: number; size: number; expected: string; actual: string };
}

/** Checkpoints whose roots are worked out from one read of the tree's nodes. */
const CHECKED_PER_READ = 200;

/**
 * Checks the tree against every stored checkpoint it has reached. The tree
 * never shrinks and leaves are never rewritten, so checking each checkpoint
 * once is enough; the caller keeps `checkedThrough`.
 */
export async function checkTreeAgainst(
  tree: MerkleTreeReader,
  checkpoints: Iterable<StoredCheckpoint> | AsyncIterable<StoredCheckpoint>,
): Promise<TreeConsistency & { checkedThrough: number }> {
  const treeSize = await tree.size();
  let checkedThrough = 0;
  let batch: StoredCheckpoint[] = [];
  const check = async (): Promise<TreeConsistency | undefined> => {
    const view = await tree.view(treeSize, {
      roots: batch.map((stored) => stored.checkpoint.events.size),
    });
    for (const stored of batch) {
      const { size, root } = stored.checkpoint.events;
      const actual = view.root(size).toString('hex');
      if (actual !== root) {
        return {
          consistent: false,
          brokenAt: { sequence: stored.sequence, size, expected: root, actual },
        };
      }
      checkedThrough = stored.sequence;
    }
    batch = [];
    return undefined;
  };
  for await (const stored of checkpoints) {
    if (stored.checkpoint.events.size > treeSize) break;
    batch.push(stored);
    if (batch.length < CHECKED_PER_READ) continue;
    const broken = await check();
    if (broken) return { ...broken, checkedThrough };
  }
  const broken = batch.length > 0 ? await check() : undefined;
  if (broken) return { ...broken, checkedThrough };
  return { consistent: true, checkedThrough };
}

export interface CheckpointIssuerOptions {
  tree: MerkleTreeReader;
  access: AccessTreeHead;
  log: CheckpointLog;
  key: AuditSigningKey;
  origin: string;
  intervalMs: number;
  /** Publishes one checkpoint to the witnesses (Kafka); resolves once acknowledged. */
  publish?: (checkpoint: StoredCheckpoint) => Promise<void>;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
}

export type IssuerState = 'waiting' | 'signing' | 'inconsistent';

export class CheckpointIssuer {
  private timer?: NodeJS.Timeout;
  private checkedThrough = 0;
  private broken?: TreeConsistency['brokenAt'];
  private running?: Promise<void>;
  /** The public key is registered beside the checkpoints once, before the first is signed. */
  private keyRegistered = false;

  constructor(private readonly options: CheckpointIssuerOptions) {}

  start(): void {
    if (this.timer) return;
    // A check at start: a tree rebuilt from altered events is reported at once.
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** For readiness: signing normally, or refusing to because the tree fails a stored checkpoint. */
  status(): { state: IssuerState; brokenAt: TreeConsistency['brokenAt'] | null } {
    if (this.broken) return { state: 'inconsistent', brokenAt: this.broken };
    return { state: this.timer ? 'signing' : 'waiting', brokenAt: null };
  }

  /** One round: check, sign if a tree has grown, publish what is not yet published. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const { tree, access, log, key, origin, logger } = this.options;
    try {
      if (!this.keyRegistered) {
        await log.registerKey(key.publicKey);
        this.keyRegistered = true;
      }
      if (!this.broken) {
        const result = await checkTreeAgainst(tree, checkpointsAfter(log, this.checkedThrough));
        this.checkedThrough = Math.max(this.checkedThrough, result.checkedThrough);
        if (!result.consistent) {
          this.broken = result.brokenAt;
          const b = result.brokenAt!;
          logger.error(
            `audit: the events tree no longer gives the root of stored checkpoint ${b.sequence} ` +
              `(size ${b.size}): the log was altered after it was signed; no checkpoint is issued until repaired`,
          );
        }
      }
      if (this.broken) return;
      const latest = await log.latest();
      const size = await tree.size();
      const events = { size, root: (await tree.root(size)).toString('hex') };
      const accessHead = await access.head();
      // Still catching up to what was already signed: signing now would shrink the log.
      if (latest && events.size < latest.checkpoint.events.size) return;
      const grown =
        !latest ||
        events.size > latest.checkpoint.events.size ||
        accessHead.size > latest.checkpoint.access.size;
      if (grown && (events.size > 0 || accessHead.size > 0)) {
        const signed = signCheckpoint(
          { origin, events, access: accessHead, issuedAt: new Date().toISOString() },
          key,
        );
        const stored = await log.append(signed);
        this.checkedThrough = stored.sequence;
      }
      await this.publishPending();
    } catch (error) {
      logger.warn(`audit: checkpoint round failed: ${(error as Error).message}`);
    }
  }

  private async publishPending(): Promise<void> {
    const { publish, log } = this.options;
    if (!publish) return;
    // In order; a failure leaves the rest for the next round.
    for (const checkpoint of await log.unpublished()) {
      await publish(checkpoint);
      await log.published(checkpoint.sequence);
    }
  }
}

/** The stored checkpoints after `sequence` (default: all), oldest first, a page at a time. */
export async function* checkpointsAfter(
  log: CheckpointLog,
  sequence = 0,
): AsyncGenerator<StoredCheckpoint> {
  for (let after = sequence; ;) {
    const page = await log.after(after, 1000);
    yield* page;
    if (page.length < 1000) return;
    after = page[page.length - 1].sequence;
  }
}
