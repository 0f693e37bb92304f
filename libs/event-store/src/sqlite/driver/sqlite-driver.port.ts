/**
 * The part of a synchronous SQLite driver the service uses (event store, read
 * models, idempotency records), shaped after better-sqlite3's API so callers
 * read the same whichever driver runs underneath.
 */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

export interface SqliteRunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): SqliteRunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
  /** Integers are read as bigint (positions past 2^53 keep their precision). */
  safeIntegers(on?: boolean): this;
}

export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>;
  exec(sql: string): void;
  /** `PRAGMA <source>`: every row, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /**
   * Wraps `fn` in BEGIN/COMMIT (ROLLBACK when it throws); called inside
   * another transaction it uses a savepoint instead.
   */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  readonly inTransaction: boolean;
  readonly open: boolean;
  close(): void;
}
