/**
 * The Merkle node store in SQLite (better-sqlite3). Every SQLite detail of
 * the audit trees is in this file. Several trees share one table, keyed by
 * tree name; rows are inserted, never updated (a conflicting insert fails,
 * which is what a second writer of the same tree should meet).
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { MerkleNode, MerkleNodeStore } from './merkle-tree';

export class SqliteMerkleNodeStore implements MerkleNodeStore {
  private readonly selectNode: Statement<[string, number, number], { hash: Buffer }>;
  private readonly selectSize: Statement<[string], { size: number }>;
  private readonly insertNode: Statement<[string, number, number, Buffer]>;
  private readonly upsertSize: Statement<[string, number]>;
  private readonly appendTransaction: Transaction<
    (nodes: readonly MerkleNode[], newSize: number) => void
  >;

  constructor(
    db: Database,
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
    return this.selectNode.get(this.tree, level, index)?.hash;
  }

  append(nodes: readonly MerkleNode[], newSize: number): void {
    // IMMEDIATE: take the write lock before reading the size checked above.
    this.appendTransaction.immediate(nodes, newSize);
  }
}
