/**
 * The Merkle node store in SQLite, through the service's SQLite driver port
 * (node:sqlite or better-sqlite3). Every SQLite detail of the audit trees is
 * in this file. Several trees share one table, keyed by
 * tree name; rows are inserted, never updated (a conflicting insert fails,
 * which is what a second writer of the same tree should meet).
 */
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { MerkleNode, MerkleNodeStore } from './merkle-tree';

export class SqliteMerkleNodeStore implements MerkleNodeStore {
  private readonly selectNode: SqliteStatement<[string, number, number], { hash: Uint8Array }>;
  private readonly selectSize: SqliteStatement<[string], { size: number }>;
  private readonly insertNode: SqliteStatement<[string, number, number, Buffer]>;
  private readonly upsertSize: SqliteStatement<[string, number]>;
  private readonly appendTransaction: (nodes: readonly MerkleNode[], newSize: number) => void;

  constructor(
    db: SqliteDatabase,
    private readonly tree: string,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_merkle_nodes (
        tree TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
        PRIMARY KEY (tree, level, idx)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS audit_merkle_trees (
        tree TEXT PRIMARY KEY, size INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
    this.selectNode = db.prepare(
      'SELECT hash FROM audit_merkle_nodes WHERE tree = ? AND level = ? AND idx = ?',
    );
    this.selectSize = db.prepare('SELECT size FROM audit_merkle_trees WHERE tree = ?');
    this.insertNode = db.prepare(
      'INSERT INTO audit_merkle_nodes (tree, level, idx, hash) VALUES (?, ?, ?, ?)',
    );
    this.upsertSize = db.prepare(
      'INSERT INTO audit_merkle_trees (tree, size) VALUES (?, ?) ' +
        'ON CONFLICT (tree) DO UPDATE SET size = excluded.size',
    );
    this.appendTransaction = db.transaction((nodes: readonly MerkleNode[], newSize: number) => {
      const size = this.size();
      const firstLeaf = nodes.find((node) => node.level === 0)?.index ?? newSize;
      // Another writer appended since this tree was opened: its nodes must not be overwritten.
      if (firstLeaf !== size) {
        throw new Error(
          `Merkle tree "${tree}" has ${size} leaves, not ${firstLeaf}: another writer?`,
        );
      }
      for (const { level, index, hash } of nodes) this.insertNode.run(tree, level, index, hash);
      this.upsertSize.run(tree, newSize);
    });
  }

  size(): number {
    return this.selectSize.get(this.tree)?.size ?? 0;
  }

  node(level: number, index: number): Buffer | undefined {
    const hash = this.selectNode.get(this.tree, level, index)?.hash;
    // node:sqlite reads a BLOB as a plain Uint8Array; the tree compares and hashes Buffers.
    return (
      hash &&
      (Buffer.isBuffer(hash) ? hash : Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength))
    );
  }

  append(nodes: readonly MerkleNode[], newSize: number): void {
    // A writer that appended between our size read and our first insert makes the
    // commit fail (WAL snapshot or primary key), never a fork of the tree.
    this.appendTransaction(nodes, newSize);
  }
}
