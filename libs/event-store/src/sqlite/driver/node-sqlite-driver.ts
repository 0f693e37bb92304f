/**
 * The driver on Node.js 22 and later: the built-in `node:sqlite`. It is part
 * of the runtime, so no native addon can outlive its environment (the
 * better-sqlite3 12 abort on Node 24) and no build is needed.
 */
import type { SqliteDatabase, SqliteRunResult, SqliteStatement } from './sqlite-driver.port';

/** What this file uses of `node:sqlite` (the @types/node of Node 20 does not describe it). */
type SqlParam = null | number | bigint | string | Uint8Array;
interface StatementSync {
  run(...params: SqlParam[]): SqliteRunResult;
  get(...params: SqlParam[]): unknown;
  all(...params: SqlParam[]): unknown[];
  iterate(...params: SqlParam[]): IterableIterator<unknown>;
  setReadBigInts(on: boolean): void;
}
interface DatabaseSync {
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  close(): void;
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
}
interface NodeSqliteModule {
  DatabaseSync: new (filename: string) => DatabaseSync;
}

let loaded: NodeSqliteModule | null | undefined;

/**
 * `node:sqlite` when this runtime has it without a flag, else null.
 * Node 22 announces it with an ExperimentalWarning on first load; that one
 * warning is dropped (the service chose this module knowingly), every other
 * warning still reaches the process.
 */
export function loadNodeSqlite(): NodeSqliteModule | null {
  if (loaded !== undefined) return loaded;
  // getBuiltinModule (not import/require): no bundler or test runner resolves it, and
  // it answers undefined instead of throwing where a module is missing (Node 20).
  const builtin = process.getBuiltinModule as ((id: string) => unknown) | undefined;
  if (!builtin) return (loaded = null);
  // The real process object, whose emitWarning Node itself calls (a test runner's
  // sandbox may hand out a copy as the global `process`).
  const realProcess = builtin('node:process') as NodeJS.Process;
  const emitWarning = realProcess.emitWarning;
  realProcess.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('SQLite is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(realProcess, warning, ...rest);
  } as typeof realProcess.emitWarning;
  try {
    loaded = (builtin('node:sqlite') as NodeSqliteModule | undefined) ?? null;
  } catch {
    loaded = null; // Node 22.5–22.12: present, but only behind --experimental-sqlite
  } finally {
    realProcess.emitWarning = emitWarning;
  }
  return loaded;
}

class NodeSqliteStatement<P extends unknown[], R> implements SqliteStatement<P, R> {
  constructor(private readonly statement: StatementSync) {}

  run(...params: P): SqliteRunResult {
    return this.statement.run(...(params as SqlParam[]));
  }

  get(...params: P): R | undefined {
    return this.statement.get(...(params as SqlParam[])) as R | undefined;
  }

  all(...params: P): R[] {
    return this.statement.all(...(params as SqlParam[])) as R[];
  }

  iterate(...params: P): IterableIterator<R> {
    return this.statement.iterate(...(params as SqlParam[])) as IterableIterator<R>;
  }

  safeIntegers(on = true): this {
    this.statement.setReadBigInts(on);
    return this;
  }
}

class NodeSqliteDatabase implements SqliteDatabase {
  readonly driver = 'node:sqlite' as const;
  private savepoints = 0;

  constructor(private readonly db: DatabaseSync) {}

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R> {
    return new NodeSqliteStatement<P, R>(this.db.prepare(sql));
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(source: string, options?: { simple?: boolean }): unknown {
    const rows = this.db.prepare(`PRAGMA ${source}`).all();
    if (!options?.simple) return rows;
    const first = rows[0];
    return first === undefined ? undefined : Object.values(first as object)[0];
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return (...args: A): T => {
      if (!this.db.isTransaction)
        return this.inTransactionOf('BEGIN', 'COMMIT', 'ROLLBACK', fn, args);
      const name = `tx${++this.savepoints}`;
      try {
        return this.inTransactionOf(
          `SAVEPOINT ${name}`,
          `RELEASE ${name}`,
          `ROLLBACK TO ${name}; RELEASE ${name}`,
          fn,
          args,
        );
      } finally {
        this.savepoints--;
      }
    };
  }

  private inTransactionOf<A extends unknown[], T>(
    begin: string,
    commit: string,
    rollback: string,
    fn: (...args: A) => T,
    args: A,
  ): T {
    this.db.exec(begin);
    let result: T;
    try {
      result = fn(...args);
    } catch (error) {
      // SQLite may have rolled back already (e.g. SQLITE_FULL); only undo what is still open.
      if (this.db.isTransaction) this.db.exec(rollback);
      throw error;
    }
    this.db.exec(commit);
    return result;
  }

  get inTransaction(): boolean {
    return this.db.isTransaction;
  }

  get open(): boolean {
    return this.db.isOpen;
  }

  close(): void {
    this.db.close();
  }
}

export function openNodeSqlite(sqlite: NodeSqliteModule, filename: string): SqliteDatabase {
  return new NodeSqliteDatabase(new sqlite.DatabaseSync(filename));
}
