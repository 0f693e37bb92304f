/**
 * The shared database of a deployment: a pool with the schema migrated, and
 * what tells "PostgreSQL is unreachable" (retry later, 503) from a bug.
 */
import type { Pool } from 'pg';
import { migrateDatabase } from './migrations';
import { openPgPool, type PgPoolOptions } from './pool';

export const SHARED_DATABASE = Symbol('SharedDatabase');

export async function openSharedDatabase(url: string, options: PgPoolOptions = {}): Promise<Pool> {
  const pool = openPgPool(url, options);
  try {
    await migrateDatabase(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return pool;
}

/** SQLSTATE classes and codes that mean the server is gone or not accepting work now. */
const UNAVAILABLE_STATES = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/** True when PostgreSQL could not be reached or dropped the connection (not a bad query). */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Not `instanceof Error`: node's own errors may come from another realm (a test sandbox).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_STATES.test(code)))
    return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i.test(
      message,
    )
  );
}

/** PostgreSQL is unreachable: the caller answers 503 and tries again later. */
export class DatabaseUnavailableError extends Error {
  constructor() {
    super('the shared database is unavailable');
    this.name = 'DatabaseUnavailableError';
  }
}

/** Runs `work`, turning an unreachable database into DatabaseUnavailableError. */
export async function whileAvailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new DatabaseUnavailableError();
    throw error;
  }
}
