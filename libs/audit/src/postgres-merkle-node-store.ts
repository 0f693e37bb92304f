/**
 * The Merkle node store in PostgreSQL (DATABASE_URL), shared by every process
 * of a deployment: the tables audit_merkle_nodes and audit_merkle_trees of
 * @ipt/database's migration 0005-audit, several trees keyed by name. Every
 * PostgreSQL detail of the audit trees is in this file.
 *
 * Reads are a MerkleNodeReader: the nodes a root or proof needs in one query.
 * Appends run in the caller's transaction (beside the access records, or the
 * events tree's leaf rows and checkpoint) and first lock the tree's row in
 * audit_merkle_trees: writers in other processes wait for that lock, so the
 * leaf indexes stay gap-free and no two writers extend the same size.
 */
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { frontierKeys, nodesOfAppend, type MerkleNodeReader, type NodeKey } from './merkle-tree';

/** A pool or one of its clients (inside a transaction). */
interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export class PostgresMerkleNodeStore implements MerkleNodeReader {
  constructor(
    private readonly db: Queryable,
    readonly tree: string,
  ) {}

  async size(): Promise<number> {
    return sizeOf(this.db, this.tree);
  }

  nodes(keys: readonly NodeKey[]): Promise<(Buffer | undefined)[]> {
    return nodesOf(this.db, this.tree, keys);
  }

  /**
   * In the caller's transaction: locks the tree for appending (until that
   * transaction ends) and answers its size. Another process appending waits.
   */
  async lockForAppend(client: PoolClient): Promise<number> {
    const locked = await client.query<{ size: number }>(
      'SELECT size FROM audit_merkle_trees WHERE tree = $1 FOR UPDATE',
      [this.tree],
    );
    if (locked.rows[0]) return Number(locked.rows[0].size);
    // A tree the migration did not seed: its row first (a concurrent creator waits on the key).
    await client.query(
      'INSERT INTO audit_merkle_trees (tree, size) VALUES ($1, 0) ON CONFLICT (tree) DO NOTHING',
      [this.tree],
    );
    return this.lockForAppend(client);
  }

  /**
   * In the caller's transaction, after lockForAppend answered `size`: stores
   * the nodes of the new leaves and the new size. Returns the new size.
   */
  async appendLocked(
    client: PoolClient,
    size: number,
    leafData: readonly Uint8Array[],
  ): Promise<number> {
    if (leafData.length === 0) return size;
    const keys = frontierKeys(size);
    const hashes = await nodesOf(client, this.tree, keys);
    const frontier: (Buffer | undefined)[] = [];
    keys.forEach(({ level, index }, i) => {
      if (!hashes[i]) throw new Error(`Merkle tree "${this.tree}" lacks node (${level}, ${index})`);
      frontier[level] = hashes[i];
    });
    const grown = nodesOfAppend(size, frontier, leafData);
    // The nodes and the new size in one statement (one round trip).
    await client.query(
      `WITH stored AS (
         INSERT INTO audit_merkle_nodes (tree, level, idx, hash)
         SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bytea[])
       )
       UPDATE audit_merkle_trees SET size = $5 WHERE tree = $1`,
      [
        this.tree,
        grown.nodes.map((n) => n.level),
        grown.nodes.map((n) => n.index),
        grown.nodes.map((n) => n.hash),
        grown.size,
      ],
    );
    return grown.size;
  }

  /** lockForAppend and appendLocked; returns the index of the first new leaf. */
  async append(client: PoolClient, leafData: readonly Uint8Array[]): Promise<number> {
    const first = await this.lockForAppend(client);
    await this.appendLocked(client, first, leafData);
    return first;
  }
}

async function sizeOf(db: Queryable, tree: string): Promise<number> {
  const { rows } = await db.query<{ size: number }>(
    'SELECT size FROM audit_merkle_trees WHERE tree = $1',
    [tree],
  );
  return rows[0] ? Number(rows[0].size) : 0;
}

async function nodesOf(
  db: Queryable,
  tree: string,
  keys: readonly NodeKey[],
): Promise<(Buffer | undefined)[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
    `SELECT n.level, n.idx, n.hash
       FROM unnest($2::int[], $3::bigint[]) AS k (level, idx)
       JOIN audit_merkle_nodes n ON n.tree = $1 AND n.level = k.level AND n.idx = k.idx`,
    [tree, keys.map((k) => k.level), keys.map((k) => k.index)],
  );
  const found = new Map(rows.map((r) => [`${r.level}:${Number(r.idx)}`, r.hash]));
  return keys.map((k) => found.get(`${k.level}:${k.index}`));
}
