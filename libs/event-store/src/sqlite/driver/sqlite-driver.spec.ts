/**
 * The driver port behaves the same on each runtime: whichever driver this
 * runtime chose (node:sqlite on Node 22+, better-sqlite3 on Node 20) is the
 * one under test; CI runs the suite on all three.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUniqueViolation, openSqlite, sqliteDriverName, type SqliteDatabase } from '.';

describe(`SQLite driver port (${sqliteDriverName()})`, () => {
  let directory: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ipt-sqlite-driver-'));
    db = openSqlite(join(directory, 'test.sqlite'));
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT UNIQUE NOT NULL)');
  });

  afterEach(() => {
    if (db.open) db.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('chooses node:sqlite where the runtime has it', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(db.driver).toBe(major >= 22 ? 'node:sqlite' : 'better-sqlite3');
  });

  it('runs, reads one row, all rows and an iterator, with bigints on request', () => {
    const insert = db.prepare<[string]>('INSERT INTO notes (body) VALUES (?)');
    expect(Number(insert.run('a').lastInsertRowid)).toBe(1);
    expect(Number(insert.run('b').changes)).toBe(1);
    const byId = db.prepare<[number], { id: number; body: string }>(
      'SELECT id, body FROM notes WHERE id = ?',
    );
    expect({ ...byId.get(2) }).toEqual({ id: 2, body: 'b' });
    expect(byId.get(3)).toBeUndefined();
    const all = db.prepare<[], { id: bigint }>('SELECT id FROM notes ORDER BY id').safeIntegers();
    expect(all.all().map((r) => r.id)).toEqual([1n, 2n]);
    expect([...all.iterate()].map((r) => r.id)).toEqual([1n, 2n]);
  });

  it('answers pragmas as rows or, simple, as one value', () => {
    expect(db.pragma('journal_mode = WAL', { simple: true })).toBe('wal');
    db.pragma('user_version = 7');
    expect(Number(db.pragma('user_version', { simple: true }))).toBe(7);
    expect(
      (db.pragma('user_version') as { user_version: number }[]).map((r) => ({ ...r })),
    ).toEqual([{ user_version: 7 }]);
  });

  it('commits a transaction, rolls back one that throws, and nests with savepoints', () => {
    const insert = db.prepare<[string]>('INSERT INTO notes (body) VALUES (?)');
    const count = () =>
      Number(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM notes').get()!.n);
    db.transaction(() => insert.run('kept'))();
    expect(() =>
      db.transaction(() => {
        insert.run('undone');
        throw new Error('abandon');
      })(),
    ).toThrow('abandon');
    db.transaction(() => {
      insert.run('outer');
      expect(db.inTransaction).toBe(true);
      expect(() =>
        db.transaction(() => {
          insert.run('inner');
          throw new Error('inner only');
        })(),
      ).toThrow('inner only');
    })();
    expect(db.inTransaction).toBe(false);
    expect(count()).toBe(2);
    const bodies = db.prepare<[], { body: string }>('SELECT body FROM notes ORDER BY id').all();
    expect(bodies.map((r) => r.body)).toEqual(['kept', 'outer']);
  });

  it('recognises a unique violation, and nothing else, as one', () => {
    const insert = db.prepare<[string | null]>('INSERT INTO notes (body) VALUES (?)');
    insert.run('once');
    let duplicate: unknown;
    let missing: unknown;
    try {
      insert.run('once');
    } catch (error) {
      duplicate = error;
    }
    try {
      insert.run(null);
    } catch (error) {
      missing = error;
    }
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(missing).toBeDefined();
    expect(isUniqueViolation(missing)).toBe(false);
  });

  it('closes', () => {
    db.close();
    expect(db.open).toBe(false);
  });
});
