/**
 * The key store in the shared PostgreSQL database (DATABASE_URL): every API
 * instance and the projector find the same course keys and tombstones, so a
 * course sealed on one instance opens on any other, and an erasure on one
 * fences them all. Tables from libs/database's migration 0003. The pool
 * belongs to the process (it closes it); `close` here releases nothing.
 *
 * PostgreSQL has no `secure_delete`: a destroyed key's wrapped bytes stay in
 * dead tuples and WAL segments until vacuum and WAL recycling reuse them.
 * They are wrapped by the KEK, which never reaches the database; decisions.md
 * says what operators must do about it.
 */
import * as crypto from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '@ipt/database';
import { newDataKey, unwrapKey, wrapKey, type Kek } from './phi-crypto';
import {
  KeyErasedError,
  type KeyLookup,
  type KeyStore,
  type LiveKey,
  type Tombstone,
} from './key-store.port';

interface KeyRow {
  key_id: string;
  kek_id: string;
  wrapped: Buffer;
}

type Queryable = Pick<Pool, 'query'> | PoolClient;

export class PostgresKeyStore implements KeyStore {
  /** `keyring[0]` wraps new keys; every KEK in it may unwrap. */
  constructor(
    private readonly pool: Pool,
    private keyring: Kek[],
  ) {
    if (keyring.length === 0) throw new Error('the key store needs a KEK');
  }

  async ensure(courseId: string): Promise<LiveKey> {
    const found = await this.lookup(this.pool, courseId);
    if (found.state === 'erased') throw new KeyErasedError(courseId);
    if (found.state === 'live') return found;
    const key = newDataKey();
    const keyId = crypto.randomUUID();
    const kek = this.keyring[0];
    // Two instances may make a course's first key at once: the first row wins, both use it.
    await this.pool.query(
      `INSERT INTO data_keys (course_id, key_id, kek_id, wrapped, created_at)
       VALUES ($1, $2, $3, $4, now()) ON CONFLICT (course_id) DO NOTHING`,
      [courseId, keyId, kek.id, wrapKey(kek, keyId, key)],
    );
    const stored = await this.lookup(this.pool, courseId);
    if (stored.state === 'erased') throw new KeyErasedError(courseId);
    if (stored.state === 'missing') throw new Error('a key just stored is not found');
    return stored;
  }

  get(courseId: string): Promise<KeyLookup> {
    return this.lookup(this.pool, courseId);
  }

  async destroy(courseId: string, erasedAt: string): Promise<Tombstone> {
    return inTransaction(this.pool, async (client) => {
      const deleted = await client.query<{ key_id: string }>(
        'DELETE FROM data_keys WHERE course_id = $1 RETURNING key_id',
        [courseId],
      );
      // The first tombstone stays; a key row beside it (a restored copy) went just above.
      await client.query(
        `INSERT INTO erased_keys (course_id, key_id, erased_at) VALUES ($1, $2, $3)
         ON CONFLICT (course_id) DO NOTHING`,
        [courseId, deleted.rows[0]?.key_id ?? crypto.randomUUID(), erasedAt],
      );
      return (await this.tombstoneOf(client, courseId))!;
    });
  }

  async rotateKek(next: Kek): Promise<{ rewrapped: number }> {
    const keyring = [next, ...this.keyring.filter((k) => k.id !== next.id)];
    const rewrapped = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<KeyRow & { course_id: string }>(
        'SELECT course_id, key_id, kek_id, wrapped FROM data_keys WHERE kek_id <> $1 FOR UPDATE',
        [next.id],
      );
      for (const row of rows) {
        const key = this.unwrap(row, keyring);
        await client.query('UPDATE data_keys SET kek_id = $1, wrapped = $2 WHERE course_id = $3', [
          next.id,
          wrapKey(next, row.key_id, key),
          row.course_id,
        ]);
      }
      return rows.length;
    });
    this.keyring = keyring;
    return { rewrapped };
  }

  async keysByKek(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ kek_id: string; n: string }>(
      'SELECT kek_id, COUNT(*) AS n FROM data_keys GROUP BY kek_id',
    );
    return Object.fromEntries(rows.map((r) => [r.kek_id, Number(r.n)]));
  }

  async fencePosition(): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ position: string }>(
      "SELECT position FROM key_fence WHERE name = 'erasures'",
    );
    return rows[0] ? BigInt(rows[0].position) : undefined;
  }

  async setFencePosition(position: bigint): Promise<void> {
    await this.pool.query(
      `INSERT INTO key_fence (name, position) VALUES ('erasures', $1)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position`,
      [position.toString()],
    );
  }

  async close(): Promise<void> {
    // The pool is the process's: it ends it after everything that uses it.
  }

  private async tombstoneOf(db: Queryable, courseId: string): Promise<Tombstone | undefined> {
    const { rows } = await db.query<{ key_id: string; erased_at: string }>(
      'SELECT key_id, erased_at FROM erased_keys WHERE course_id = $1',
      [courseId],
    );
    const row = rows[0];
    return row && { state: 'erased', courseId, keyId: row.key_id, erasedAt: row.erased_at };
  }

  /** A tombstone wins over a key row. */
  private async lookup(db: Queryable, courseId: string): Promise<KeyLookup> {
    const erased = await this.tombstoneOf(db, courseId);
    if (erased) return erased;
    const { rows } = await db.query<KeyRow>(
      'SELECT key_id, kek_id, wrapped FROM data_keys WHERE course_id = $1',
      [courseId],
    );
    const row = rows[0];
    if (!row) return { state: 'missing', courseId };
    return { state: 'live', courseId, keyId: row.key_id, key: this.unwrap(row, this.keyring) };
  }

  private unwrap(row: KeyRow, keyring: Kek[]): Buffer {
    const kek = keyring.find((k) => k.id === row.kek_id);
    if (!kek) throw new Error('a data key is wrapped by a KEK this process was not given');
    return unwrapKey(kek, row.key_id, row.wrapped);
  }
}
