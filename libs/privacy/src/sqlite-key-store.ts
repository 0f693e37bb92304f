/**
 * The embedded key store: `DATA_DIR/keys.sqlite`, apart from the event store
 * and the read models, opened through the SQLite driver port (owner-only
 * file). `secure_delete` zeroes a destroyed key's bytes in the file, and the
 * WAL is truncated after every destruction so no copy of the wrapped key
 * lingers in it. Keys are wrapped by the KEK; the keyring's first KEK is the
 * current one, any other only unwraps (a rotation in progress).
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { openSqlite, type SqliteDatabase } from '@ipt/event-store';
import { newDataKey, unwrapKey, wrapKey, type Kek } from './phi-crypto';
import { resolveKeyring } from './kek';
import {
  KeyErasedError,
  type KeyLookup,
  type KeyStore,
  type LiveKey,
  type Tombstone,
} from './key-store.port';

export const KEY_STORE_FILE = 'keys.sqlite';

interface KeyRow {
  key_id: string;
  kek_id: string;
  wrapped: Uint8Array;
}

export class SqliteKeyStore implements KeyStore {
  private readonly db: SqliteDatabase;

  /** `keyring[0]` wraps new keys; every KEK in it may unwrap. */
  constructor(
    file: string,
    private keyring: Kek[],
  ) {
    if (keyring.length === 0) throw new Error('the key store needs a KEK');
    this.db = openSqlite(file);
    this.db.pragma('secure_delete = ON');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS data_keys (
        course_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL UNIQUE,
        kek_id TEXT NOT NULL,
        wrapped BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS erased_keys (
        course_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        erased_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS fence (
        name TEXT PRIMARY KEY,
        position TEXT NOT NULL
      );`);
  }

  static inDataDir(dataDir: string, keyring: Kek[]): SqliteKeyStore {
    return new SqliteKeyStore(path.join(dataDir, KEY_STORE_FILE), keyring);
  }

  /**
   * The configured key store: `PHI_KEY_STORE` (default `DATA_DIR/keys.sqlite`),
   * its KEK `PHI_KEK` or the one generated beside the key store file.
   */
  static configured(config: { phiKeyStore: string; phiKek?: Buffer }): SqliteKeyStore {
    return new SqliteKeyStore(
      config.phiKeyStore,
      resolveKeyring(config.phiKek, path.dirname(config.phiKeyStore)),
    );
  }

  async ensure(courseId: string): Promise<LiveKey> {
    return this.db.transaction(() => {
      const found = this.lookup(courseId);
      if (found.state === 'erased') throw new KeyErasedError(courseId);
      if (found.state === 'live') return found;
      const key = newDataKey();
      const keyId = crypto.randomUUID();
      const kek = this.keyring[0];
      this.db
        .prepare(
          'INSERT INTO data_keys (course_id, key_id, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(courseId, keyId, kek.id, wrapKey(kek, keyId, key), new Date().toISOString());
      return { state: 'live' as const, courseId, keyId, key };
    })();
  }

  async get(courseId: string): Promise<KeyLookup> {
    return this.lookup(courseId);
  }

  async destroy(courseId: string, erasedAt: string): Promise<Tombstone> {
    const result = this.db.transaction((): Tombstone => {
      const erased = this.tombstoneOf(courseId);
      const row = this.db
        .prepare<[string], { key_id: string }>('SELECT key_id FROM data_keys WHERE course_id = ?')
        .get(courseId);
      // Any key row beside a tombstone (a restored copy) goes as well.
      this.db.prepare('DELETE FROM data_keys WHERE course_id = ?').run(courseId);
      if (erased) return erased;
      const keyId = row?.key_id ?? crypto.randomUUID();
      this.db
        .prepare('INSERT INTO erased_keys (course_id, key_id, erased_at) VALUES (?, ?, ?)')
        .run(courseId, keyId, erasedAt);
      return { state: 'erased', courseId, keyId, erasedAt };
    })();
    // The wrapped key's old page may sit in the WAL: checkpoint it (zeroed) and empty the WAL.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  }

  async rotateKek(next: Kek): Promise<{ rewrapped: number }> {
    const keyring = [next, ...this.keyring.filter((k) => k.id !== next.id)];
    const rewrapped = this.db.transaction(() => {
      const rows = this.db
        .prepare<[], KeyRow & { course_id: string }>(
          'SELECT course_id, key_id, kek_id, wrapped FROM data_keys',
        )
        .all();
      const update = this.db.prepare(
        'UPDATE data_keys SET kek_id = ?, wrapped = ? WHERE course_id = ?',
      );
      let count = 0;
      for (const row of rows) {
        if (row.kek_id === next.id) continue;
        const key = this.unwrap(row, keyring);
        update.run(next.id, wrapKey(next, row.key_id, key), row.course_id);
        count += 1;
      }
      return count;
    })();
    this.keyring = keyring;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return { rewrapped };
  }

  async keysByKek(): Promise<Record<string, number>> {
    const rows = this.db
      .prepare<[], { kek_id: string; n: number }>(
        'SELECT kek_id, COUNT(*) AS n FROM data_keys GROUP BY kek_id',
      )
      .all();
    return Object.fromEntries(rows.map((r) => [r.kek_id, Number(r.n)]));
  }

  async fencePosition(): Promise<bigint | undefined> {
    const row = this.db
      .prepare<[], { position: string }>("SELECT position FROM fence WHERE name = 'erasures'")
      .get();
    return row ? BigInt(row.position) : undefined;
  }

  async setFencePosition(position: bigint): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO fence (name, position) VALUES ('erasures', ?)
         ON CONFLICT(name) DO UPDATE SET position = excluded.position`,
      )
      .run(position.toString());
    return;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    return;
  }

  private tombstoneOf(courseId: string): Tombstone | undefined {
    const row = this.db
      .prepare<[string], { key_id: string; erased_at: string }>(
        'SELECT key_id, erased_at FROM erased_keys WHERE course_id = ?',
      )
      .get(courseId);
    return row && { state: 'erased', courseId, keyId: row.key_id, erasedAt: row.erased_at };
  }

  private lookup(courseId: string): KeyLookup {
    const erased = this.tombstoneOf(courseId);
    if (erased) return erased;
    const row = this.db
      .prepare<[string], KeyRow>(
        'SELECT key_id, kek_id, wrapped FROM data_keys WHERE course_id = ?',
      )
      .get(courseId);
    if (!row) return { state: 'missing', courseId };
    return { state: 'live', courseId, keyId: row.key_id, key: this.unwrap(row, this.keyring) };
  }

  private unwrap(row: KeyRow, keyring: Kek[]): Buffer {
    const kek = keyring.find((k) => k.id === row.kek_id);
    if (!kek) throw new Error('a data key is wrapped by a KEK this process was not given');
    return unwrapKey(kek, row.key_id, Buffer.from(row.wrapped));
  }
}
