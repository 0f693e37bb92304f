/**
 * `npm run bench:engagement`: the at-risk course list (issue 18) on a clinic
 * with 100,000 courses, over HTTP against the built app (embedded store, one
 * process), written into bench/RESULTS.md under "## Engagement".
 *
 * The events are appended to the embedded store directly (the command path is
 * measured by bench/ledger.bench.ts); the app then projects them at start.
 *
 *   BENCH_COURSES (100000), BENCH_ACTIVE_SHARE (0.2), BENCH_SECONDS (5)
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAY_MS, type CourseEvent } from '@ipt/course';
import { SqliteEventStore, type EventToAppend } from '@ipt/event-store';
import {
  assessed,
  completed,
  enrolled,
  held,
  homeworkAssigned,
  itemsTotalling,
  missed,
  withdrawn,
} from '../libs/course/src/testing/fixtures';
import { LedgerClient, startLedgerApp, tempDataDir, tokenFor } from '../test/support/ledger-app';

const COURSES = Number(process.env.BENCH_COURSES ?? 100_000);
const ACTIVE_SHARE = Number(process.env.BENCH_ACTIVE_SHARE ?? 0.2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLINIC = 'bench-clinic';
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One course: closed ones enrolled over the last five years; active ones in
 * the last 120 days, a quarter of them at risk for one reason or another.
 */
function courseHistory(i: number, now: number): CourseEvent[] {
  const active = i % 100 < ACTIVE_SHARE * 100;
  const enrolledMs = active
    ? now - (i % 120) * DAY_MS - (i % 1440) * 60_000
    : now - 200 * DAY_MS - (i % 1600) * DAY_MS;
  const t = (days: number) => iso(enrolledMs + days * DAY_MS);
  const events: CourseEvent[] = [
    enrolled({ courseId: randomUUID(), subjectId: randomUUID(), enrolledAt: t(0) }),
  ];
  const daysEnrolled = Math.floor((now - enrolledMs) / DAY_MS);
  const lastSessionDay = active ? Math.max(0, daysEnrolled - (i % 12)) : 21;
  // Closed courses keep short histories: the list reads rows, not events, and the fill stays quick.
  const sessions = Math.min(12, Math.max(1, Math.floor(lastSessionDay / 7)));
  for (let n = 1; n <= sessions; n++)
    events.push(held(n, t(sessions === 1 ? 0 : (lastSessionDay * (n - 1)) / (sessions - 1))));
  if (!active) {
    events.push(i % 3 === 0 ? withdrawn('patient_choice', t(30)) : completed(t(30)));
    return events;
  }
  switch (i % 8) {
    case 1:
      events.push(
        missed('did_not_attend', t(lastSessionDay)),
        missed('did_not_attend', t(lastSessionDay)),
      );
      break;
    case 2:
      events.push(homeworkAssigned('a', 1), homeworkAssigned('b', 1));
      break;
    case 3:
      events.push(
        assessed('p0', 'PHQ-9', itemsTotalling('PHQ-9', 8), 'baseline', t(0)),
        assessed('p1', 'PHQ-9', itemsTotalling('PHQ-9', 15), 'session', t(lastSessionDay)),
      );
      break;
    default:
      break;
  }
  return events;
}

async function fill(dataDir: string): Promise<number> {
  const store = new SqliteEventStore(path.join(dataDir, 'events.sqlite'));
  const now = Date.now();
  let events = 0;
  try {
    const BATCH = 256; // concurrent appends: the store commits them in groups
    for (let i = 0; i < COURSES; i += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, COURSES - i) }, (_, k) => {
          const history = courseHistory(i + k, now);
          events += history.length;
          const courseId = (history[0].data as { courseId: string }).courseId;
          const toAppend: EventToAppend[] = history.map((e) => ({
            eventId: randomUUID(),
            type: e.type,
            data: { ...(e.data as unknown as Record<string, unknown>), courseId },
            metadata: { clinicId: CLINIC, recordedAt: iso(now), schemaVersion: 1 },
          }));
          return store.appendToStream(`course-${courseId}`, toAppend, {
            expectedRevision: 'no_stream',
          });
        }),
      );
    }
  } finally {
    await store.close();
  }
  return events;
}

interface Latency {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function measure(url: string, token: string, connections: number): Promise<Latency> {
  const r = await autocannon({
    url,
    connections,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
  };
}

async function main(): Promise<void> {
  const dataDir = tempDataDir('ipt-bench-engagement-');
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  let started = process.hrtime.bigint();
  const events = await fill(dataDir);
  const fillSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`filled ${COURSES} courses, ${events} events in ${fillSeconds.toFixed(1)} s`);

  started = process.hrtime.bigint();
  const app = await startLedgerApp({
    dataDir,
    env: { LOG_LEVEL: 'error' },
    startTimeoutMs: 600_000,
  });
  try {
    const token = tokenFor(CLINIC, ['clinician', 'auditor', 'analyst', 'admin']);
    const client = new LedgerClient(app.baseUrl, token);
    for (;;) {
      const { projections } = (await client.get('/v1/admin/projections')).body as {
        projections: { state: string; eventsApplied: number }[];
      };
      if (projections.every((p) => p.state === 'live' && p.eventsApplied >= events)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const projectSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = (await client.get(`/v1/clinics/${CLINIC}/summary`)).body;
    // A page in the middle of the at-risk list: follow the cursor half way.
    let cursor: string | null = null;
    for (let page = 0; page < Math.floor(summary.atRisk / 100); page++) {
      cursor = (
        await client.get(`/v1/courses?atRisk=true&limit=50${cursor ? `&cursor=${cursor}` : ''}`)
      ).body.nextCursor;
    }
    const routes: [string, string][] = [
      ['`GET /v1/courses?atRisk=true` (first page, 50 items)', '/v1/courses?atRisk=true'],
      ...(cursor
        ? ([
            [
              '`GET /v1/courses?atRisk=true&cursor=…` (a page half way down the list)',
              `/v1/courses?atRisk=true&cursor=${cursor}`,
            ],
          ] as [string, string][])
        : []),
      ['`GET /v1/courses?atRisk=false` (first page)', '/v1/courses?atRisk=false'],
      ['`GET /v1/courses` (no filter, for comparison)', '/v1/courses'],
      ['`GET /v1/clinics/{id}/summary` (with `atRisk`)', `/v1/clinics/${CLINIC}/summary`],
    ];
    say('## Engagement: the at-risk list on a clinic of 100,000 courses');
    say('');
    say(
      `Measured by \`npm run bench:engagement\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${os.cpus()[0].model}), ` +
        `Node ${process.version}, other processes on the machine. One clinic of ${COURSES.toLocaleString('en')} courses ` +
        `(${events.toLocaleString('en')} events): ${summary.courses.active.toLocaleString('en')} active, ` +
        `${summary.atRisk.toLocaleString('en')} of them at risk. Events appended to the embedded store directly, ` +
        `then projected by the app at start (${projectSeconds.toFixed(1)} s for the three projections). ` +
        `Latency over HTTP with autocannon, ${SECONDS} s per row.`,
    );
    say('');
    say('| request | connections | requests/s | p50 ms | p99 ms | non-2xx |');
    say('|---|---|---|---|---|---|');
    for (const [what, route] of routes) {
      for (const connections of [1, 16]) {
        const r = await measure(app.baseUrl + route, token, connections);
        say(
          `| ${what} | ${connections} | ${r.requestsPerSecond.toLocaleString('en')} | ${r.p50} | ${r.p99} | ${r.non2xx} |`,
        );
      }
    }
    say('');
    say(
      "The summary's time is its clinic tally, unchanged by this work: every course's stored contribution " +
        'is parsed on each request. Its `atRisk` is one `COUNT(*)` over the two risk indexes (the query plan is ' +
        'checked in libs/projections/src/read-models.spec.ts). The machine is shared with other work, so ' +
        'compare rows of one run rather than runs.',
    );
  } finally {
    await app.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const file = path.join(__dirname, 'RESULTS.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  // Replace this section (up to the next top-level section or the end), else append it.
  const section = /\n## Engagement[\s\S]*?(?=\n## (?!Engagement)|$)/;
  const text = lines.join('\n') + '\n';
  fs.writeFileSync(
    file,
    section.test(previous)
      ? previous.replace(section, `\n${text}`)
      : `${previous.trimEnd()}\n\n${text}`,
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
