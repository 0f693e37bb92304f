/**
 * The append workload (append-workload.ts) on the embedded store, on Emmett's
 * SQLite event store and on Emmett's PostgreSQL event store, one after the
 * other in one run, each from an empty store; the embedded store is measured
 * again at the end, so a change of the machine's load during the run shows.
 *
 *   node -r ./test/support/kafka-ts-register.js bench/store-comparison.ts
 *   env: BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_COMPARE_SECONDS (5)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, newEventId } from '@ipt/event-store';
import { measureAppends, StreamSet, type AppendRate, type AppendTarget } from './append-workload';
import { sqliteTarget } from './append-cost';
import { emmettPostgresTarget, emmettSqliteTarget, freshPostgresDatabase } from './emmett-stores';

export interface ComparisonRow extends AppendRate {
  store: string;
  error?: string;
  /** Appends the store failed and the bench retried (Emmett's SQLite store: SQLITE_BUSY at COMMIT). */
  retries?: number;
}

async function measured(
  name: string,
  open: () => Promise<AppendTarget & { close(): Promise<void> }>,
  seconds: number,
): Promise<ComparisonRow> {
  let target: (AppendTarget & { close(): Promise<void> }) | undefined;
  try {
    target = await open();
    return {
      store: name,
      ...(await measureAppends(target, new StreamSet('course-'), seconds, newEventId)),
    };
  } catch (error) {
    return {
      store: name,
      appendsPerSecond: 0,
      cpuMicrosPerAppend: 0,
      p99Ms: 0,
      error: (error as Error).message,
    };
  } finally {
    await target?.close().catch(() => undefined);
  }
}

export async function compareStores(seconds: number, pgUrl: string): Promise<ComparisonRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-bench-compare-'));
  const ours = (n: number) => async () => {
    const store = new SqliteEventStore(path.join(dir, `ours-${n}.sqlite`));
    return { ...sqliteTarget(store), close: () => store.close() };
  };
  const rows: ComparisonRow[] = [];
  let database: { url: string; drop(): Promise<void> } | undefined;
  try {
    rows.push(await measured('embedded SQLite store (this service)', ours(1), seconds));
    rows.push(
      await measured(
        "Emmett's SQLite event store",
        async () => emmettSqliteTarget(path.join(dir, 'emmett.sqlite')),
        seconds,
      ),
    );
    rows.push(
      await measured(
        "Emmett's PostgreSQL event store",
        async () => {
          database = await freshPostgresDatabase(pgUrl, 'ipt_bench_emmett');
          return emmettPostgresTarget(database.url);
        },
        seconds,
      ),
    );
    rows.push(await measured('embedded SQLite store (this service), again', ours(2), seconds));
  } finally {
    await database?.drop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (require.main === module) {
  compareStores(
    Number(process.env.BENCH_COMPARE_SECONDS ?? 5),
    process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  )
    .then((rows) => rows.forEach((row) => console.log(JSON.stringify(row))))
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
