/**
 * Opens a SQLite file with the driver this runtime supports: the built-in
 * `node:sqlite` on Node.js 22 and later, better-sqlite3 on Node.js 20.
 * `SQLITE_DRIVER=better-sqlite3` forces the addon (for comparisons).
 */
import { ensurePrivateFile } from '../../../../config/src/private-files';
import { openBetterSqlite3 } from './better-sqlite3-driver';
import { loadNodeSqlite, openNodeSqlite } from './node-sqlite-driver';
import type { SqliteDatabase, SqliteDriverName } from './sqlite-driver.port';

export function sqliteDriverName(): SqliteDriverName {
  if (process.env.SQLITE_DRIVER === 'better-sqlite3') return 'better-sqlite3';
  return loadNodeSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

/**
 * Every SQLite file of the service may hold PHI: it is created (or narrowed)
 * 0600 in a 0700 folder before the driver opens it, and SQLite gives its
 * -wal and -shm files the same mode.
 */
export function openSqlite(filename: string): SqliteDatabase {
  if (filename !== ':memory:' && filename !== '') ensurePrivateFile(filename);
  const sqlite = sqliteDriverName() === 'node:sqlite' ? loadNodeSqlite() : null;
  return sqlite ? openNodeSqlite(sqlite, filename) : openBetterSqlite3(filename);
}

/** SQLite's extended result codes for a violated UNIQUE or PRIMARY KEY constraint. */
const UNIQUE_CODES = new Map([
  ['SQLITE_CONSTRAINT_UNIQUE', 2067],
  ['SQLITE_CONSTRAINT_PRIMARYKEY', 1555],
]);

/** True for a UNIQUE/PRIMARY KEY violation, as either driver reports it. */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown };
  // better-sqlite3 names the code; node:sqlite gives the number
  if (typeof code === 'string' && UNIQUE_CODES.has(code)) return true;
  return typeof errcode === 'number' && [...UNIQUE_CODES.values()].includes(errcode);
}
