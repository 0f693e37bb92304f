/**
 * The PostgreSQL connection pool of a process (DATABASE_URL). BIGINT columns
 * (milliseconds, revisions, counts) come back as numbers: each fits a double.
 */
import { Pool, types, type PoolConfig } from 'pg';

const INT8 = 20;

export interface PgPoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** Name in pg_stat_activity. */
  applicationName?: string;
}

export function openPgPool(url: string, options: PgPoolOptions = {}): Pool {
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'ipt-course-ledger',
    // A database that went away answers within seconds, never hangs a request.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 && format !== 'binary'
          ? (value: string) => Number(value)
          : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
    },
  };
  const pool = new Pool(config);
  // An idle client losing its connection (the server restarted) must not crash the process:
  // the pool drops it and the next query opens another.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction on one client of the pool. */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: import('pg').PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
