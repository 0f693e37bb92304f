/**
 * A bounded write load on the built API over loopback, for as long as asked,
 * to show the service keeps running (issue 17: better-sqlite3 12 aborted on
 * Node 24 under write load). The API runs under the same Node as this script.
 *
 *   node -r ./test/support/kafka-ts-register.js bench/write-soak.ts
 *   SOAK_SECONDS (default 600), SOAK_RATE requests/s (default 200), SOAK_COURSES (200)
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import { LedgerClient, startLedgerApp, tokenFor } from '../test/support/ledger-app';
import { enrollment } from '../test/e2e/course-scenario';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 200);
const COURSES = Number(process.env.SOAK_COURSES ?? 200);

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function main(): Promise<void> {
  const app = await startLedgerApp({ env: { LOG_LEVEL: 'error' } });
  try {
    const token = tokenFor('soak-clinic', ['clinician']);
    const client = new LedgerClient(app.baseUrl, token);
    const courseIds: string[] = [];
    for (let i = 0; i < COURSES; i++) {
      const body = enrollment();
      const answer = await client.post('/v1/courses', body);
      if (answer.status !== 201) throw new Error(`enrollment answered ${answer.status}`);
      courseIds.push(body.courseId);
    }
    const course = () => courseIds[Math.floor(Math.random() * courseIds.length)];
    const rssBefore = rssMiB(app.pid);
    // Three writes to one read: missed sessions are valid any number of times on an active course.
    const result = await autocannon({
      url: app.baseUrl,
      connections: 16,
      overallRate: RATE,
      duration: SECONDS,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => ({
            ...request,
            path: `/v1/courses/${course()}/missed-sessions`,
            body: JSON.stringify({ scheduledAt: '2025-02-01T10:00:00Z', kind: 'did_not_attend' }),
          }),
        },
        {
          method: 'POST',
          setupRequest: (request) => ({
            ...request,
            path: `/v1/courses/${course()}/missed-sessions`,
            body: JSON.stringify({
              scheduledAt: '2025-02-02T10:00:00Z',
              kind: 'cancelled_by_patient',
            }),
          }),
        },
        {
          method: 'POST',
          setupRequest: (request) => ({
            ...request,
            path: `/v1/courses/${course()}/missed-sessions`,
            body: JSON.stringify({ scheduledAt: '2025-02-03T10:00:00Z', kind: 'did_not_attend' }),
          }),
        },
        {
          method: 'GET',
          setupRequest: (request) => ({
            ...request,
            path: `/v1/courses/${course()}`,
            headers: { authorization: `Bearer ${token}` },
          }),
        },
      ],
    });
    const alive = fs.existsSync(`/proc/${app.pid}`);
    const summary = {
      node: process.version,
      seconds: SECONDS,
      requests: result.requests.total,
      non2xx: result.non2xx,
      statusCodes: result.statusCodeStats,
      errors: result.errors + result.timeouts,
      p99Ms: result.latency.p99,
      rssMiB: { before: rssBefore, after: alive ? rssMiB(app.pid) : null },
      apiAliveAtEnd: alive,
      aborted: /Assertion failed|Aborted|core dumped/.test(app.output()),
    };
    console.log(JSON.stringify(summary));
    if (!alive || summary.aborted || summary.errors > 0) process.exitCode = 1;
  } finally {
    await app.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
