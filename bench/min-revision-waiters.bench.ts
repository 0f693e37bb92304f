/**
 * CPU of the API while 2,000 reads wait on `X-Min-Revision` for a revision
 * the course never reaches (issue 8): each waits its 5 s and answers 503.
 * Prints the server process's CPU time (user + system, from /proc) over the
 * whole wait. `node -r ./test/support/kafka-ts-register.js
 * bench/min-revision-waiters.bench.ts [path/to/dist/apps/api/src/main.js]`
 * measures another build (e.g. main's) the same way.
 */
import * as http from 'node:http';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../test/support/ledger-app';
import { CourseDriver } from '../test/e2e/course-scenario';
import { processCpuSeconds } from './process-cpu';

const WAITERS = Number(process.env.WAITERS ?? 2000);

const cpuSeconds = (pid: number) => processCpuSeconds(pid) ?? NaN;

/** Sends `count` reads of the course view at once; answers their statuses and the server's CPU. */
async function reads(
  app: LedgerApp,
  route: string,
  token: string,
  minRevision: string,
  count: number,
): Promise<{ cpu: number; wall: number; statuses: Record<number, number> }> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const cpuBefore = cpuSeconds(app.pid);
  const started = Date.now();
  const answers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const request = http.get(
            app.baseUrl + route,
            { agent, headers: { authorization: `Bearer ${token}`, 'x-min-revision': minRevision } },
            (response) => {
              response.resume();
              response.on('end', () => resolve(response.statusCode ?? 0));
            },
          );
          request.on('error', reject);
        }),
    ),
  );
  agent.destroy();
  const statuses: Record<number, number> = {};
  for (const s of answers) statuses[s] = (statuses[s] ?? 0) + 1;
  return { cpu: cpuSeconds(app.pid) - cpuBefore, wall: (Date.now() - started) / 1000, statuses };
}

async function main(): Promise<void> {
  const mainPath = process.argv[2];
  const app = await startLedgerApp({
    // Room for every waiter (a build without the cap ignores the variable).
    env: { MAX_VIEW_WAITERS: String(WAITERS) },
    ...(mainPath ? { worker: { main: mainPath, readyText: '"msg":"listening"' } } : {}),
  });
  try {
    const token = tokenFor('clinic-bench', ['clinician']);
    const course = await CourseDriver.enroll(new LedgerClient(app.baseUrl, token));
    await course.view();
    // The same reads answered at once: what connections and requests cost without any wait.
    const immediate = await reads(app, course.path(), token, '0', WAITERS);
    // Reads that wait their 5 s for a revision the course never reaches.
    const waiting = await reads(app, course.path(), token, '1000000', WAITERS);
    process.stdout.write(
      JSON.stringify({
        build: mainPath ?? 'this build',
        waiters: WAITERS,
        immediate,
        waiting,
        cpuSecondsOfWaiting: Number((waiting.cpu - immediate.cpu).toFixed(2)),
      }) + '\n',
    );
  } finally {
    await app.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
