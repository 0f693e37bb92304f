/**
 * Signed checkpoints of the ledger log (audit.md §2): stored in order, never
 * changed, and issued by exactly one process (the API in the embedded mode,
 * the projector otherwise) whenever a tree has grown, at most every
 * CHECKPOINT_INTERVAL_MS. Before signing, the events tree is checked against
 * every stored checkpoint it has reached: a tree that no longer gives their
 * roots (rebuilt from altered events) is reported and never signed over.
 */
import {
  EMPTY_TREE_ROOT,
  signCheckpoint,
  treeHead,
  type AuditSigningKey,
  type IncrementalMerkleTree,
  type SignedCheckpoint,
  type TreeHead,
} from '@ipt/audit';
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';

/** The head of the access tree, from the access log (I2); a token so the API can inject it. */
export interface AccessTreeHead {
  head(): TreeHead;
}
export const ACCESS_TREE_HEAD = Symbol('AccessTreeHead');

/** Until the access log is wired in: the empty tree (size 0, root = SHA-256 of nothing). */
export const EMPTY_ACCESS_TREE: AccessTreeHead = {
  head: () => ({ size: 0, root: EMPTY_TREE_ROOT.toString('hex') }),
};

export interface StoredCheckpoint extends SignedCheckpoint {
  /** 1, 2, 3… in the order issued. */
  sequence: number;
}

export class CheckpointLog {
  private readonly insert: SqliteStatement<[number, number, string, string]>;
  private readonly selectLatest: SqliteStatement<[], { seq: number; signed: string }>;
  private readonly selectAfter: SqliteStatement<[number, number], { seq: number; signed: string }>;
  private readonly selectUnpublished: SqliteStatement<[], { seq: number; signed: string }>;
  private readonly markPublished: SqliteStatement<[number]>;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS audit_checkpoints (
      seq INTEGER PRIMARY KEY,
      events_size INTEGER NOT NULL,
      access_size INTEGER NOT NULL,
      issued_at TEXT NOT NULL,
      signed TEXT NOT NULL,
      published INTEGER NOT NULL DEFAULT 0
    )`);
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
  }

  append(signed: SignedCheckpoint): StoredCheckpoint {
    const { checkpoint } = signed;
    const result = this.insert.run(
      checkpoint.events.size,
      checkpoint.access.size,
      checkpoint.issuedAt,
      JSON.stringify(signed),
    );
    return { sequence: Number(result.lastInsertRowid), ...signed };
  }

  latest(): StoredCheckpoint | undefined {
    const row = this.selectLatest.get();
    return row && parse(row);
  }

  /** Checkpoints issued after `sequence`, oldest first. */
  after(sequence: number, limit: number): StoredCheckpoint[] {
    return this.selectAfter.all(sequence, limit).map(parse);
  }

  *all(): Generator<StoredCheckpoint> {
    for (let after = 0; ;) {
      const page = this.after(after, 1000);
      yield* page;
      if (page.length < 1000) return;
      after = page[page.length - 1].sequence;
    }
  }

  unpublished(): StoredCheckpoint[] {
    return this.selectUnpublished.all().map(parse);
  }

  published(sequence: number): void {
    this.markPublished.run(sequence);
  }
}

function parse(row: { seq: number; signed: string }): StoredCheckpoint {
  return { sequence: row.seq, ...(JSON.parse(row.signed) as SignedCheckpoint) };
}

export interface TreeConsistency {
  consistent: boolean;
  /** The first stored checkpoint whose events root the tree no longer gives. */
  brokenAt?: { sequence: number; size: number; expected: string; actual: string };
}

/**
 * Checks the tree against every stored checkpoint it has reached. The tree
 * never shrinks and leaves are never rewritten, so checking each checkpoint
 * once is enough; the caller keeps `checkedThrough`.
 */
export function checkTreeAgainst(
  tree: IncrementalMerkleTree,
  checkpoints: Iterable<StoredCheckpoint>,
): TreeConsistency & { checkedThrough: number } {
  tree.refresh();
  let checkedThrough = 0;
  for (const stored of checkpoints) {
    const { size, root } = stored.checkpoint.events;
    if (size > tree.size) break;
    const actual = tree.root(size).toString('hex');
    if (actual !== root) {
      return {
        consistent: false,
        brokenAt: { sequence: stored.sequence, size, expected: root, actual },
        checkedThrough,
      };
    }
    checkedThrough = stored.sequence;
  }
  return { consistent: true, checkedThrough };
}

export interface CheckpointIssuerOptions {
  tree: IncrementalMerkleTree;
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
      if (!this.broken) {
        const result = checkTreeAgainst(tree, log.after(this.checkedThrough, 1_000_000));
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
      const latest = log.latest();
      const events = treeHead(tree);
      const accessHead = access.head();
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
        const stored = log.append(signed);
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
    for (const checkpoint of log.unpublished()) {
      await publish(checkpoint);
      log.published(checkpoint.sequence);
    }
  }
}
