/**
 * The `events` Merkle tree of the ledger log (audit.md §2), built by a
 * projection over the store's global log: leaf i is the `hash` of the i-th
 * course event, and each event's leaf index is kept by event id. It lives in
 * the read-model database beside the read models (in PostgreSQL with
 * DATABASE_URL: postgres/ledger.postgres.ts), but is not one of them: a
 * leaf once stored is never rewritten, and the tree is only ever rebuilt by
 * hand (a rebuild from altered events then fails the check against the
 * stored checkpoints, which live in a table the rebuild leaves alone).
 */
import {
  hashEvent,
  isHexHash,
  IncrementalMerkleTree,
  MerkleTreeReader,
  SqliteMerkleNodeStore,
  syncNodeReader,
  type MerkleTreeView,
} from '@ipt/audit';
import type { RecordedEvent, SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { Projection } from '../projection';

export const EVENTS_TREE = 'events';
export const EVENTS_TREE_PROJECTION = 'audit-events-tree';

export interface EventLeaf {
  revision: number;
  leafIndex: number;
}

function migrateLeaves(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS audit_event_leaves (
      event_id TEXT PRIMARY KEY,
      stream_id TEXT NOT NULL,
      revision INTEGER NOT NULL,
      leaf_index INTEGER NOT NULL UNIQUE
    );
    CREATE INDEX IF NOT EXISTS audit_event_leaves_stream ON audit_event_leaves (stream_id, revision);
  `);
}

/** The leaf data of an event: its stored hash; an event stored without one gets its computed hash. */
export function eventLeafData(event: RecordedEvent): Buffer {
  const stored = event.metadata.hash;
  return Buffer.from(isHexHash(stored) ? stored : hashEvent(event), 'hex');
}

export class EventsTreeProjection implements Projection {
  readonly name = EVENTS_TREE_PROJECTION;
  private tree?: IncrementalMerkleTree;
  private insertLeaf?: SqliteStatement<[string, string, number, number]>;

  migrate(db: SqliteDatabase): void {
    migrateLeaves(db);
    this.tree = new IncrementalMerkleTree(new SqliteMerkleNodeStore(db, EVENTS_TREE));
    this.insertLeaf = db.prepare(
      'INSERT INTO audit_event_leaves (event_id, stream_id, revision, leaf_index) VALUES (?, ?, ?, ?)',
    );
  }

  reset(db: SqliteDatabase): void {
    db.prepare('DELETE FROM audit_merkle_nodes WHERE tree = ?').run(EVENTS_TREE);
    db.prepare('DELETE FROM audit_merkle_trees WHERE tree = ?').run(EVENTS_TREE);
    db.exec('DELETE FROM audit_event_leaves');
    this.tree?.refresh();
  }

  apply(_db: SqliteDatabase, events: RecordedEvent[]): void {
    const tree = this.tree!;
    const first = tree.appendAll(events.map(eventLeafData));
    events.forEach((event, i) =>
      this.insertLeaf!.run(event.eventId, event.streamId, event.revision, first + i),
    );
  }

  discardUncommitted(): void {
    this.tree?.refresh();
  }
}

/**
 * Read side of the events tree, for the routes, the signer and the verifier
 * (any process): an adapter per database (SQLite here, PostgreSQL in
 * postgres/ledger.postgres.ts), one contract suite run on both.
 */
export interface EventsLedger {
  readonly tree: MerkleTreeReader;
  /** The leaf index of each revision of a stream, in revision order. */
  leavesOf(streamId: string): Promise<EventLeaf[]>;
  /** Every stream with a leaf. */
  streams(): Promise<string[]>;
}

export class SqliteEventsLedger implements EventsLedger {
  readonly tree: MerkleTreeReader;
  private readonly selectLeaves: SqliteStatement<[string], { revision: number; leafIndex: number }>;
  private readonly selectStreams: SqliteStatement<[], { streamId: string }>;

  constructor(db: SqliteDatabase) {
    migrateLeaves(db);
    this.tree = new MerkleTreeReader(syncNodeReader(new SqliteMerkleNodeStore(db, EVENTS_TREE)));
    this.selectLeaves = db.prepare(
      'SELECT revision, leaf_index AS leafIndex FROM audit_event_leaves WHERE stream_id = ? ORDER BY revision',
    );
    this.selectStreams = db.prepare(
      'SELECT DISTINCT stream_id AS streamId FROM audit_event_leaves ORDER BY stream_id',
    );
  }

  leavesOf(streamId: string): Promise<EventLeaf[]> {
    return Promise.resolve(this.selectLeaves.all(streamId));
  }

  streams(): Promise<string[]> {
    return Promise.resolve(this.selectStreams.all().map((row) => row.streamId));
  }
}

/**
 * The events tree at `size`, loaded (one read) for the leaf hashes of a
 * course's leaves below that size: what verifyCourse compares the events with.
 */
export function courseLeavesView(
  ledger: EventsLedger,
  leaves: readonly EventLeaf[],
  size: number,
): Promise<MerkleTreeView> {
  return ledger.tree.view(size, {
    leaves: leaves.filter((leaf) => leaf.leafIndex < size).map((leaf) => leaf.leafIndex),
  });
}
