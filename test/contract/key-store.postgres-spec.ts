/** The key-store contract on PostgreSQL (the shared database every instance opens keys from). */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import { PostgresKeyStore, kekFrom } from '@ipt/privacy';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { keyStoreContract } from '../../libs/privacy/src/testing/key-store.contract';

const TABLES = ['data_keys', 'erased_keys', 'key_fence'];
let database: TestDatabase | undefined;
let pool: Pool | undefined;

async function start(): Promise<Pool> {
  database = await createTestDatabase();
  pool = await openSharedDatabase(database.url);
  return pool;
}

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

keyStoreContract('PostgreSQL', {
  open: async (keyring) => new PostgresKeyStore(pool ?? (await start()), keyring),
  fresh: async () => {
    const db = pool ?? (await start());
    await db.query(`TRUNCATE ${TABLES.join(', ')}`);
  },
  backup: async () => {
    // A dump of the three tables as they are now, and its restore over whatever is there then.
    const db = pool!;
    const copies = new Map<string, Record<string, unknown>[]>();
    for (const table of TABLES) copies.set(table, (await db.query(`SELECT * FROM ${table}`)).rows);
    return async () => {
      await db.query(`TRUNCATE ${TABLES.join(', ')}`);
      for (const [table, rows] of copies)
        for (const row of rows) {
          const columns = Object.keys(row);
          await db.query(
            `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
            columns.map((c) => row[c]),
          );
        }
    };
  },
});

describe('the PostgreSQL key store shared by two instances', () => {
  it('gives both the same key for a course they seal at once, and a tombstone ends it for both', async () => {
    const db = pool ?? (await start());
    const kek = kekFrom(randomBytes(32));
    const [one, two] = [new PostgresKeyStore(db, [kek]), new PostgresKeyStore(db, [kek])];
    const course = randomUUID();
    const [a, b] = await Promise.all([one.ensure(course), two.ensure(course)]);
    expect(a.keyId).toBe(b.keyId);
    expect(a.key.equals(b.key)).toBe(true);
    await one.destroy(course, '2026-01-01T00:00:00.000Z');
    expect((await two.get(course)).state).toBe('erased');
    await expect(two.ensure(course)).rejects.toThrow('erased');
  });
});
