/**
 * `npm run bench`: the performance figures of architecture.md on this
 * machine, written to bench/RESULTS.md. The service runs as its own process
 * (the built app, embedded store, one process); the load comes from this
 * process with autocannon, so each side has one of the two cores. A bare
 * Fastify handler is measured the same way, as the ceiling of the machine.
 *
 * Issue 14: every figure is beside the bare handler measured in the same run
 * (POST and GET), with the machine's load average; then the relay (a child
 * process running bench/relay.bench.ts with its own broker: events/s per
 * producer, command-to-consumer latency at 1,000 commands/s), the append cost
 * at 10,000 and 1,000,000 stored events, and the same append workload on
 * Emmett's SQLite and PostgreSQL event stores (the local PostgreSQL).
 *
 *   BENCH_SECONDS (default 10), BENCH_COURSES (2000), BENCH_APPEND_MAX (1000000),
 *   BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_SKIP (comma list of
 *   relay, append, compare: sections left out), BENCH_APP_NODE_OPTIONS (the service's
 *   NODE_OPTIONS), BENCH_APP_NODE_ARGS (node flags NODE_OPTIONS refuses, e.g.
 *   "--cpu-prof --cpu-prof-dir=DIR" for a CPU profile of the service over the HTTP loads)
 *   BENCH_RUNTIMES (24: the HTTP loads again with the service on these Node.js majors; empty: none),
 *   BENCH_ONLY=reads: only the course view reads (each one recorded in the access log),
 *   printed and not written to RESULTS.md; BENCH_ONLY=commands: the same for the two command
 *   loads; ACCESS_LOG_THREAD is handed to the service
 */
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerClient, freePort, startLedgerApp, tokenFor } from '../test/support/ledger-app';
import { enrollment } from '../test/e2e/course-scenario';
import { appendCostSmallVsLarge } from './append-cost';
import { processCpuSeconds } from './process-cpu';
import { compareStores } from './store-comparison';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COURSES = Number(process.env.BENCH_COURSES ?? 2000);
const APPEND_MAX = Number(process.env.BENCH_APPEND_MAX ?? 1_000_000);
const CONNECTIONS = 64;
const ONLY = process.env.BENCH_ONLY;
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The 1-minute load average now, with the core count: how busy the machine was beside a figure. */
const load1 = () => `${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`;

interface LoadResult {
  requestsPerSecond: number;
  /** CPU time of the serving process per request: robust to other load on the machine. */
  cpuMicrosPerRequest?: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The machine's load average when the measurement ended. */
  load: string;
  /** Event-loop delay of the serving process during the load (its /metrics), ms. */
  loopP99?: number;
  loopMax?: number;
}

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};

/** utime + stime of a process, in microseconds (NaN when it cannot be read). */
const cpuMicros = (pid: number) => (processCpuSeconds(pid) ?? NaN) * 1e6;

async function load(options: autocannon.Options, pid?: number): Promise<LoadResult> {
  const cpuBefore = pid === undefined ? 0 : cpuMicros(pid);
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const requests = result.requests.total;
  return {
    cpuMicrosPerRequest:
      pid === undefined ? undefined : Math.round((cpuMicros(pid) - cpuBefore) / requests),
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    load: load1(),
  };
}

const HTTP_HEADER =
  '| load | requests/s | % of bare | p50 ms | p99 ms | non-2xx | errors | server CPU µs/request | event-loop delay p99 / max ms | load average | target | met |';
const HTTP_RULE = '|---|---|---|---|---|---|---|---|---|---|---|---|';
const row = (what: string, r: LoadResult, bare: LoadResult | undefined, target: string, met = '') =>
  `| ${what} | ${r.requestsPerSecond.toLocaleString('en')} | ${bare ? percentOf(r, bare) : ''} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.cpuMicrosPerRequest ?? ''} | ${r.loopP99 !== undefined ? `${r.loopP99} / ${r.loopMax}` : ''} | ${r.load} | ${target} | ${met} |`;
const percentOf = (r: LoadResult, bare: LoadResult) =>
  `${((r.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)} %`;
const yesNo = (ok: boolean) => (ok ? 'yes' : '**no**');

/** A bare Fastify JSON POST and GET handler in their own process: what the machine can do at best. */
async function bareFastify(node: string): Promise<{ post: LoadResult; get: LoadResult }> {
  const port = await freePort();
  const script = `
    const app = require('fastify')();
    app.post('/echo', async (req) => ({ ok: true, n: req.body.n }));
    app.get('/courses/:id', async (req) => ({ courseId: req.params.id, status: 'active', sessionsHeld: 3 }));
    app.listen({ port: ${port}, host: '127.0.0.1' }).then(() => console.log('ready'));`;
  const child = spawn(node, ['-e', script], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  try {
    const post = await load(
      {
        url: `http://127.0.0.1:${port}/echo`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1 }),
      },
      child.pid,
    );
    const get = await load(
      {
        url: `http://127.0.0.1:${port}`,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({ ...request, path: `/courses/${randomUUID()}` }),
          },
        ],
      },
      child.pid,
    );
    return { post, get };
  } finally {
    child.kill();
  }
}

/** Event-loop delay of the service over the load: prom-client's histogram restarts at each /metrics read. */
async function withLoopDelay(
  baseUrl: string,
  token: string,
  run: () => Promise<LoadResult>,
): Promise<LoadResult> {
  const metrics = () =>
    fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
      r.text(),
    );
  await metrics();
  const result = await run();
  const text = await metrics();
  const seconds = (name: string) => {
    const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number((Number(m[1]) * 1000).toFixed(1)) : undefined;
  };
  return {
    ...result,
    loopP99: seconds('nodejs_eventloop_lag_p99_seconds'),
    loopMax: seconds('nodejs_eventloop_lag_max_seconds'),
  };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

/** The service as one process under a Node.js binary, COURSES courses enrolled, and its HTTP loads. */
async function startService(node: string) {
  const app = await startLedgerApp({
    node,
    env: {
      LOG_LEVEL: 'error',
      NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS ?? '--max-semi-space-size=32',
      // The access log on its thread or on the request thread, for an A/B (default: the thread).
      ...(process.env.ACCESS_LOG_THREAD
        ? { ACCESS_LOG_THREAD: process.env.ACCESS_LOG_THREAD }
        : {}),
    },
    execArgv: process.env.BENCH_APP_NODE_ARGS?.split(' ').filter(Boolean),
  });
  const clinicId = 'bench-clinic';
  const token = tokenFor(clinicId, ['clinician', 'auditor', 'admin']);
  const client = new LedgerClient(app.baseUrl, token);
  const courseIds: string[] = [];
  try {
    for (let i = 0; i < COURSES; i += CONNECTIONS) {
      const bodies = Array.from({ length: Math.min(CONNECTIONS, COURSES - i) }, () => enrollment());
      const answers = await Promise.all(bodies.map((b) => client.post('/v1/courses', b)));
      if (answers.some((a) => a.status !== 201)) throw new Error('enrollment failed during setup');
      courseIds.push(...bodies.map((b) => b.courseId as string));
    }
  } catch (error) {
    await app.stop();
    throw error;
  }
  const randomCourse = () => courseIds[Math.floor(Math.random() * courseIds.length)];
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const courseReads = () =>
    load(
      {
        url: app.baseUrl,
        headers: { authorization: `Bearer ${token}` },
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({ ...request, path: `/v1/courses/${randomCourse()}` }),
          },
        ],
      },
      app.pid,
    );
  // Missed sessions are valid any number of times on an active course: a steady command mix.
  const missedSession = JSON.stringify({
    scheduledAt: '2025-02-01T10:00:00Z',
    kind: 'did_not_attend',
  });
  const commandsOn = (course: () => string) =>
    withLoopDelay(app.baseUrl, token, () =>
      load(
        {
          url: app.baseUrl,
          headers,
          requests: [
            {
              method: 'POST',
              setupRequest: (request) => ({
                ...request,
                path: `/v1/courses/${course()}/missed-sessions`,
                body: missedSession,
              }),
            },
          ],
        },
        app.pid,
      ),
    );
  const hotCourse = courseIds[0];
  return {
    app,
    client,
    clinicId,
    courseReads,
    commands: () => commandsOn(randomCourse),
    hot: () => commandsOn(() => hotCourse),
    reads: () => withLoopDelay(app.baseUrl, token, courseReads),
  };
}

/** The three HTTP loads beside the bare handler, each against its target. */
function sayHttpRows(
  figures: {
    bare: { post: LoadResult; get: LoadResult };
    commands: LoadResult;
    hot: LoadResult;
    reads: LoadResult;
  },
  runtime = '',
): void {
  const { bare, commands, hot, reads } = figures;
  say(row(`bare Fastify JSON POST (ceiling)${runtime}`, bare.post, undefined, ''));
  say(row(`bare Fastify GET (ceiling)${runtime}`, bare.get, undefined, ''));
  const commandShare = commands.requestsPerSecond / bare.post.requestsPerSecond;
  say(
    row(
      `commands (missed session), many courses${runtime}`,
      commands,
      bare.post,
      '≥ 40 % of bare POST, p99 ≤ 25 ms',
      yesNo(commandShare >= 0.4 && commands.p99 <= 25),
    ),
  );
  say(
    row(
      `commands (missed session), one hot course${runtime}`,
      hot,
      bare.post,
      'every command succeeds, p99 ≤ 50 ms',
      yesNo(hot.non2xx === 0 && hot.errors === 0 && hot.p99 <= 50),
    ),
  );
  say(
    row(
      `course view reads (access record durable)${runtime}`,
      reads,
      bare.get,
      '≥ 50 % of bare GET',
      yesNo(reads.requestsPerSecond / bare.get.requestsPerSecond >= 0.5),
    ),
  );
}

async function service(): Promise<void> {
  const service = await startService(process.execPath);
  const { app, client, clinicId } = service;
  try {
    if (ONLY === 'reads') {
      const reads = await service.courseReads();
      const auditor = client.as(tokenFor(clinicId, ['auditor']));
      const newest = (await auditor.get('/v1/audit-log?limit=1')).body.items[0];
      say(HTTP_HEADER);
      say(HTTP_RULE);
      say(row('course view reads (access log on)', reads, undefined, ''));
      say(`access records written: ${newest ? newest.leafIndex + 1 : 0}`);
      return;
    }
    const commands = await service.commands();
    const hot = await service.hot();
    if (ONLY === 'commands') {
      say(HTTP_HEADER);
      say(HTTP_RULE);
      say(row('commands, many courses', commands, undefined, ''));
      say(row('commands, one hot course', hot, undefined, ''));
      return;
    }
    const reads = await service.reads();
    const bare = await bareFastify(process.execPath);

    say('');
    say(
      `## HTTP (${CONNECTIONS} connections, ${SECONDS} s each, ${COURSES.toLocaleString('en')} courses, random course per request)`,
    );
    say('');
    say(HTTP_HEADER);
    say(HTTP_RULE);
    sayHttpRows({ bare, commands, hot, reads });
    say('');
    say(
      "Server CPU µs/request is the serving process's CPU time divided by the requests it answered: " +
        'unlike requests/s it does not depend on what else the machine runs. One core at 100 % serves ' +
        "1,000,000 / (µs/request) requests per second. The event-loop delay is the service's own " +
        '(`nodejs_eventloop_lag_*` of /metrics, read before and after each load).',
    );

    // Projection rebuild: replay the whole log into each read model.
    const admin = client.as(tokenFor(clinicId, ['admin']));
    say('');
    say('## Projection rebuild');
    say('');
    say('| projection | events | seconds | events/s | RSS before MB | RSS peak MB |');
    say('|---|---|---|---|---|---|');
    for (const name of ['course-completion', 'course-outcomes', 'clinic-summary']) {
      const before = rssMb(app.pid);
      let peak = before;
      const started = process.hrtime.bigint();
      await admin.post(`/v1/admin/projections/${name}/rebuild`, {});
      let rebuild: { state: string; eventsDone: number } | null = null;
      for (;;) {
        const all = (await admin.get('/v1/admin/projections')).body.projections as {
          name: string;
          rebuild: { state: string; eventsDone: number } | null;
        }[];
        rebuild = all.find((p) => p.name === name)!.rebuild;
        peak = Math.max(peak, rssMb(app.pid));
        if (rebuild?.state === 'done' || rebuild?.state === 'failed') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      say(
        `| ${name} | ${rebuild.eventsDone.toLocaleString('en')} | ${seconds.toFixed(2)} | ${Math.round(rebuild.eventsDone / seconds).toLocaleString('en')} | ${before} | ${peak} |`,
      );
    }
  } finally {
    await app.stop();
  }
}

/**
 * The HTTP loads again with the service and the bare handler on other Node.js majors (BENCH_RUNTIMES,
 * comma list, default 24: the current LTS), fetched by scripts/node-runtimes.sh.
 */
async function otherRuntimes(): Promise<void> {
  const majors = (process.env.BENCH_RUNTIMES ?? '24')
    .split(',')
    .filter((major) => major && !process.version.startsWith(`v${major}.`));
  if (majors.length === 0) return;
  const found = spawnSync(
    'bash',
    [path.join(__dirname, '..', 'scripts', 'node-runtimes.sh'), ...majors],
    {
      encoding: 'utf8',
    },
  );
  say('');
  say(`## HTTP on Node.js ${majors.join(', ')} (the same loads, in the same run)`);
  say('');
  if (found.status !== 0) {
    say(
      `Not measured: scripts/node-runtimes.sh ${majors.join(' ')} failed (${found.stderr.trim()}).`,
    );
    return;
  }
  say(HTTP_HEADER);
  say(HTTP_RULE);
  for (const dir of found.stdout.trim().split('\n').filter(Boolean)) {
    const node = path.join(dir, 'bin', 'node');
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const service = await startService(node);
    try {
      const commands = await service.commands();
      const hot = await service.hot();
      const reads = await service.reads();
      const bare = await bareFastify(node);
      sayHttpRows({ bare, commands, hot, reads }, `, Node ${version}`);
    } finally {
      await service.app.stop();
    }
  }
  say('');
  say(
    'Both the runtime and the SQLite driver differ from the run above: on Node.js 22 and later the embedded ' +
      "store and the access log use Node's built-in node:sqlite, on Node.js 20 better-sqlite3.",
  );
}

/** The relay's figures from bench/relay.bench.ts in a child process (it starts its own broker). */
function relayFigures(producer: string, mode: string): Promise<RelaySummary | undefined> {
  const json = path.join(os.tmpdir(), `ipt-bench-relay-${process.pid}-${producer}.json`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--max-semi-space-size=64',
        '-r',
        path.join(__dirname, '..', 'test', 'support', 'kafka-ts-register.js'),
        path.join(__dirname, 'relay.bench.ts'),
      ],
      {
        env: {
          ...process.env,
          RELAY_BENCH_PRODUCER: producer,
          RELAY_BENCH_MODE: mode,
          RELAY_BENCH_RUNS: '2',
          RELAY_BENCH_JSON: json,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.once('exit', (code) => {
      if (!fs.existsSync(json)) {
        console.error(`relay bench (${producer}) exited with ${code} and no figures`);
        return resolve(undefined);
      }
      const summary = JSON.parse(fs.readFileSync(json, 'utf8')) as RelaySummary;
      fs.rmSync(json);
      resolve({ ...summary, ok: code === 0, load: load1() });
    });
  });
}

interface RelaySummary {
  ok: boolean;
  /** The load average when the relay bench ended. */
  load?: string;
  producer: string | null;
  throughput: { eventsPerSecond: number; ok: boolean; relayCpuMs: number; wallMs: number }[];
  latency?: {
    ok: boolean;
    commandsPerSecond: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
    stages?: Record<'waiting' | 'transaction' | 'delivery', [number, number, number]>;
  };
}

async function relay(): Promise<void> {
  say('');
  say('## Relay to Kafka (one broker on the same machine, started by the bench)');
  say('');
  const native = await relayFigures('native', 'all');
  const kafkajs = await relayFigures('kafkajs', 'throughput');
  say(
    '| producer | events/s, fresh broker / warm broker | relay CPU ms / wall ms (warm) | exactly once (read_committed count) | load average | target | met |',
  );
  say('|---|---|---|---|---|---|---|');
  for (const [name, r] of [
    ['@confluentinc/kafka-javascript native Producer', native],
    ['kafkajs (fallback)', kafkajs],
  ] as const) {
    if (!r || r.throughput.length === 0) {
      say(`| ${name} | not measured (package absent or run failed) | | | ${load1()} | | |`);
      continue;
    }
    const rates = r.throughput.map((t) => Math.round(t.eventsPerSecond));
    const warm = r.throughput[r.throughput.length - 1];
    say(
      `| ${name}${r.producer && !name.startsWith(r.producer === 'native' ? '@' : 'k') ? ` (ran ${r.producer})` : ''} | ${rates.map((x) => x.toLocaleString('en')).join(' / ')} | ${warm.relayCpuMs} / ${warm.wallMs} | ${r.throughput.every((t) => t.ok) ? 'yes' : '**no**'} | ${r.load} | ≥ 80,000/s | ${yesNo(Math.max(...rates) >= 80_000)} |`,
    );
  }
  const latency = native?.latency;
  say('');
  if (latency) {
    say(
      `Command-to-consumer (append acknowledged → read_committed consumer), ${latency.commandsPerSecond.toLocaleString('en')} commands/s for 10 s, producer ${native?.producer}: ` +
        `p50 ${latency.p50} ms, p95 ${latency.p95} ms, **p99 ${latency.p99} ms**, max ${latency.max} ms; every event consumed once: ${latency.ok ? 'yes' : '**no**'} ` +
        `(target p99 ≤ 100 ms: ${yesNo(latency.p99 <= 100)}; load average ${native?.load}).`,
    );
    const { stages } = latency;
    if (stages) {
      say(
        `Where it goes, p50 / p95 / p99 ms: waiting for its transaction to begin (the one before it, the mapping) ${stages.waiting.join(' / ')}; ` +
          `the transaction, begin to the broker's commit acknowledgment, ${stages.transaction.join(' / ')}; delivery to the consumer ${stages.delivery.join(' / ')}.`,
      );
    }
  } else {
    say('Command-to-consumer latency: not measured (the relay bench failed; see its output).');
  }
}

/** The append workload at 10,000 and at 1,000,000 stored events, measured alternately. */
async function appendCost(): Promise<void> {
  const [small, large] = await appendCostSmallVsLarge(10_000, APPEND_MAX, 3);
  say('');
  say(
    '## Append cost as the embedded store grows (one event per append, expected revision, 64 writers, 10,000 streams, fsync before the answer)',
  );
  say('');
  say(
    'Measured alternately on a store of 10,000 events (made afresh each round) and one of 1,000,000, three rounds of 3 s each; medians.',
  );
  say('');
  say(
    '| events stored | appends/s | CPU µs per append | p99 ms | bytes written per append | read calls per append | load average |',
  );
  say('|---|---|---|---|---|---|---|');
  for (const r of [small, large]) {
    say(
      `| ${r.stored.toLocaleString('en')} | ${r.appendsPerSecond.toLocaleString('en')} | ${r.cpuMicrosPerAppend} | ${r.p99Ms} | ${r.bytesWrittenPerAppend ?? ''} | ${r.readCallsPerAppend ?? ''} | ${r.load} on ${os.cpus().length} cores |`,
    );
  }
  const cpuGrowth = (large.cpuMicrosPerAppend / small.cpuMicrosPerAppend - 1) * 100;
  const rateDrop = (1 - large.appendsPerSecond / small.appendsPerSecond) * 100;
  say('');
  say(
    `From 10,000 to ${APPEND_MAX.toLocaleString('en')} events: CPU per append ${cpuGrowth >= 0 ? '+' : ''}${cpuGrowth.toFixed(1)} %, appends/s ${rateDrop >= 0 ? '−' : '+'}${Math.abs(rateDrop).toFixed(1)} % ` +
      `(target: flat within 10 %: ${yesNo(Math.abs(cpuGrowth) <= 10 && rateDrop <= 10)}).`,
  );
}

/** The same append workload on Emmett's stores, as ratios to the embedded store. */
async function storeComparison(): Promise<void> {
  const rows = await compareStores(5, PG_URL);
  const ours = rows[0];
  say('');
  say(
    "## The append workload on Emmett's event stores (one event per append, expected revision, 64 writers, 10,000 streams, fsync before the answer)",
  );
  say('');
  say(
    '| store | appends/s | ratio to the embedded store | CPU µs per append (this process) | p99 ms | load average |',
  );
  say('|---|---|---|---|---|---|');
  for (const r of rows) {
    say(
      `| ${r.store}${r.retries ? ` (${r.retries} appends retried after SQLITE_BUSY at COMMIT)` : ''} | ${r.error ? `failed: ${r.error}` : r.appendsPerSecond.toLocaleString('en')} | ${r.error || !ours.appendsPerSecond ? '' : `${(r.appendsPerSecond / ours.appendsPerSecond).toFixed(2)}×`} | ${r.cpuMicrosPerAppend} | ${r.p99Ms} | ${r.load ?? ''} on ${os.cpus().length} cores |`,
    );
  }
  say('');
  say(
    "Emmett's SQLite store (0.38.5, sqlite3 driver, WAL with SQLite's default synchronous=FULL) keeps one connection per store instance and closes it after each call, so concurrent calls on one instance break each other: its appends are taken one at a time here. " +
      "Emmett's PostgreSQL store (0.42.0) runs on the local PostgreSQL (synchronous_commit=on, fsync=on) through its own pool; the CPU column is this process's only, not the server's.",
  );
}

async function main(): Promise<void> {
  say('# Benchmark results');
  say('');
  say(
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} cores (${os.cpus()[0].model}), ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at the start ${load1()}. The service runs as one process on the embedded store; ` +
      'the load generator (autocannon) runs in another. Each figure has the load average beside it: on a shared machine, compare the ratios of one run, not runs.',
  );
  await service();
  if (ONLY) return;
  await otherRuntimes();
  if (!SKIP.has('relay')) await relay();
  if (!SKIP.has('append')) await appendCost();
  if (!SKIP.has('compare')) await storeComparison();
  const file = path.join(__dirname, 'RESULTS.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  // Everything from the second level-1 heading on (the analysis, earlier measurements of other
  // benches) stays below this run's figures.
  const EARLIER = '\n# Earlier measurements\n';
  const second = previous.indexOf('\n# ', 1);
  let kept = second >= 0 ? previous.slice(second) : '';
  if (!kept) {
    const old = /\n## Relay to Kafka\n[\s\S]*$/.exec(previous)?.[0];
    if (old)
      kept =
        EARLIER + old.replace('## Relay to Kafka\n', '## Relay to Kafka (npm run bench:relay)\n');
  }
  fs.writeFileSync(file, lines.join('\n') + '\n' + kept);
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
