/**
 * The driver on Node.js 20, which has no `node:sqlite`: better-sqlite3 12, an
 * optional dependency (only Node 20 needs it, so a failed build elsewhere does
 * not fail `npm ci`). Its API is the port's shape already.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from './sqlite-driver.port';

type BetterSqlite3Constructor = typeof BetterSqlite3;

export function openBetterSqlite3(filename: string): SqliteDatabase {
  let Database: BetterSqlite3Constructor;
  try {
    // Loaded only when chosen: on Node 22+ the addon (built for another ABI) is never touched.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous, optional load
    Database = require('better-sqlite3') as BetterSqlite3Constructor;
  } catch (error) {
    throw new Error(
      `this Node.js (${process.version}) has no node:sqlite and better-sqlite3 cannot be loaded: ` +
        'run the service on Node.js 22 or 24, or install better-sqlite3',
      { cause: error },
    );
  }
  const db = new Database(filename);
  return Object.assign(db, { driver: 'better-sqlite3' as const }) as unknown as SqliteDatabase;
}
