/**
 * `npm run bench`: the performance figures of architecture.md on this
 * machine, written to bench/RESULTS.md. The service runs as its own process
 * (the built app, embedded store, one process); the load comes from this
 * process with autocannon, so each side has one of the two cores. A bare
 * Fastify handler is measured the same way, as the ceiling of the machine.
 *
 *   BENCH_SECONDS (default 10), BENCH_COURSES (2000), BENCH_APPEND_MAX (1000000)
 *   BENCH_ONLY=reads: only the course view reads (each one recorded in the access log),
 *   printed and not written to RESULTS.md
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, type EventToAppend } from '@ipt/event-store';
import { LedgerClient, freePort, startLedgerApp, tokenFor } from '../test/support/ledger-app';
import { enrollment } from '../test/e2e/course-scenario';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COURSES = Number(process.env.BENCH_COURSES ?? 2000);
const APPEND_MAX = Number(process.env.BENCH_APPEND_MAX ?? 1_000_000);
const CONNECTIONS = 64;
const ONLY = process.env.BENCH_ONLY;

interface LoadResult {
  requestsPerSecond: number;
  /** CPU time of the serving process per request: robust to other load on the machine. */
  cpuMicrosPerRequest?: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};

/** utime + stime of a process, in microseconds (Linux /proc, clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

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
  };
}

const row = (what: string, r: LoadResult, target: string) =>
  `| ${what} | ${r.requestsPerSecond.toLocaleString('en')} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.cpuMicrosPerRequest ?? ''} | ${target} |`;

/** A bare Fastify JSON POST handler in its own process: what the machine can do at best. */
async function bareFastify(): Promise<LoadResult> {
  const port = await freePort();
  const script = `
    const app = require('fastify')();
    app.post('/echo', async (req) => ({ ok: true, n: req.body.n }));
    app.listen({ port: ${port}, host: '127.0.0.1' }).then(() => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  try {
    return await load(
      {
        url: `http://127.0.0.1:${port}/echo`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1 }),
      },
      child.pid,
    );
  } finally {
    child.kill();
  }
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function service(): Promise<void> {
  const app = await startLedgerApp({
    env: {
      LOG_LEVEL: 'error',
      NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS ?? '--max-semi-space-size=32',
    },
  });
  try {
    const clinicId = 'bench-clinic';
    const token = tokenFor(clinicId, ['clinician', 'auditor', 'admin']);
    const client = new LedgerClient(app.baseUrl, token);
    const courseIds: string[] = [];
    for (let i = 0; i < COURSES; i += CONNECTIONS) {
      const bodies = Array.from({ length: Math.min(CONNECTIONS, COURSES - i) }, () => enrollment());
      const answers = await Promise.all(bodies.map((b) => client.post('/v1/courses', b)));
      if (answers.some((a) => a.status !== 201)) throw new Error('enrollment failed during setup');
      courseIds.push(...bodies.map((b) => b.courseId as string));
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
    if (ONLY === 'reads') {
      const reads = await courseReads();
      const auditor = client.as(tokenFor(clinicId, ['auditor']));
      const newest = (await auditor.get('/v1/audit-log?limit=1')).body.items[0];
      say(
        '| load | requests/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs/request | target |',
      );
      say('|---|---|---|---|---|---|---|---|');
      say(row('course view reads (access log on)', reads, '≥ 30,000/s'));
      say(`access records written: ${newest ? newest.leafIndex + 1 : 0}`);
      return;
    }

    // Missed sessions are valid any number of times on an active course: a steady command mix.
    const commands = await load(
      {
        url: app.baseUrl,
        headers,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => ({
              ...request,
              path: `/v1/courses/${randomCourse()}/missed-sessions`,
              body: JSON.stringify({ scheduledAt: '2025-02-01T10:00:00Z', kind: 'did_not_attend' }),
            }),
          },
        ],
      },
      app.pid,
    );
    const reads = await courseReads();

    say('');
    say(
      `## HTTP (${CONNECTIONS} connections, ${SECONDS} s each, ${COURSES.toLocaleString('en')} courses)`,
    );
    say('');
    say(
      '| load | requests/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs/request | target |',
    );
    say('|---|---|---|---|---|---|---|---|');
    const bare = await bareFastify();
    say(row('bare Fastify JSON POST (ceiling)', bare, 'about 67,000/s on the reference machine'));
    say(
      row(
        'commands (missed session) over HTTP',
        commands,
        '≥ 10,000/s and ≥ 15 % of bare; p99 ≤ 20 ms',
      ),
    );
    say(row('course view reads', reads, '≥ 30,000/s'));
    say('');
    say(
      "Server CPU µs/request is the serving process's CPU time divided by the requests it answered: " +
        'unlike requests/s it does not depend on what else the machine runs. One core at 100 % serves ' +
        '1,000,000 / (µs/request) requests per second.',
    );
    say(
      `Commands reached ${((commands.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)} % of the bare handler.`,
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

/** Single-event appends from 64 concurrent writers, measured as the store grows. */
async function appendCost(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-bench-append-'));
  const store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
  const streams = Array.from({ length: 1000 }, () => `course-${randomUUID()}`);
  const event = (i: number): EventToAppend => ({
    eventId: randomUUID(),
    type: 'SessionMissed',
    data: { courseId: 'x', scheduledAt: '2025-02-01T10:00:00.000Z', kind: 'did_not_attend', i },
    metadata: { clinicId: 'bench', recordedAt: new Date().toISOString(), schemaVersion: 1 },
  });
  let stored = 0;
  const fillTo = async (target: number) => {
    while (stored < target) {
      const n = Math.min(100, target - stored);
      await store.appendToStream(
        streams[stored % streams.length],
        Array.from({ length: n }, (_, i) => event(i)),
        { expectedRevision: 'any' },
      );
      stored += n;
    }
  };
  const measure = async (): Promise<number> => {
    let done = 0;
    const until = Date.now() + 3000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < until) {
          await store.appendToStream(
            streams[Math.floor(Math.random() * streams.length)],
            [event(done)],
            { expectedRevision: 'any' },
          );
          done++;
        }
      }),
    );
    stored += done;
    return Math.round(done / 3);
  };
  say('');
  say(
    '## Append cost as the embedded store grows (64 concurrent single-event appends, synchronous=FULL)',
  );
  say('');
  say('| events stored | appends/s |');
  say('|---|---|');
  try {
    for (const size of [10_000, 100_000, APPEND_MAX]) {
      await fillTo(size);
      say(`| ${size.toLocaleString('en')} | ${(await measure()).toLocaleString('en')} |`);
    }
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  say('# Benchmark results');
  say('');
  say(
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${os.cpus()[0].model}), ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}. The service runs as one process on the embedded store; ` +
      'the load generator (autocannon) runs in another.',
  );
  await service();
  if (ONLY === 'reads') return;
  await appendCost();
  say('');
  say('The relay figures come from `npm run bench:relay` (see below when present).');
  const file = path.join(__dirname, 'RESULTS.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const relaySection = /\n## Relay[\s\S]*$/.exec(previous)?.[0] ?? '';
  fs.writeFileSync(file, lines.join('\n') + '\n' + relaySection);
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
