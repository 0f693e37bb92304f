/**
 * CPU of the API while 2,000 reads wait on `X-Min-Revision` for a revision
 * the course never reaches (issue 8): each waits its 5 s and answers 503.
 * Prints the server process's CPU time (user + system, from /proc) over the
 * whole wait. `node -r ./test/support/kafka-ts-register.js
 * bench/min-revision-waiters.bench.ts [path/to/dist/apps/api/src/main.js]`
 * measures another build (e.g. main's) the same way.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { LedgerClient, startLedgerApp, tokenFor } from '../test/support/ledger-app';
import { CourseDriver } from '../test/e2e/course-scenario';

const WAITERS = Number(process.env.WAITERS ?? 2000);

function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat: utime and stime in clock ticks (100 per second on Linux).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const mainPath = process.argv[2];
  const app = await startLedgerApp(
    mainPath ? { worker: { main: mainPath, readyText: '"msg":"listening"' } } : {},
  );
  try {
    const client = new LedgerClient(app.baseUrl, tokenFor('clinic-bench', ['clinician']));
    const course = await CourseDriver.enroll(client);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const token = tokenFor('clinic-bench', ['clinician']);
    const cpuBefore = cpuSeconds(app.pid);
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from(
        { length: WAITERS },
        () =>
          new Promise<number>((resolve, reject) => {
            const request = http.get(
              `${app.baseUrl}${course.path('')}`,
              { agent, headers: { authorization: `Bearer ${token}`, 'x-min-revision': '1000000' } },
              (response) => {
                response.resume();
                response.on('end', () => resolve(response.statusCode ?? 0));
              },
            );
            request.on('error', reject);
          }),
      ),
    );
    const wall = (Date.now() - started) / 1000;
    const cpu = cpuSeconds(app.pid) - cpuBefore;
    const byStatus: Record<number, number> = {};
    for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1;
    process.stdout.write(
      JSON.stringify({
        build: mainPath ?? 'this build',
        waiters: WAITERS,
        wallSeconds: wall,
        serverCpuSeconds: cpu,
        cpuShareOfOneCore: cpu / wall,
        statuses: byStatus,
      }) + '\n',
    );
    agent.destroy();
  } finally {
    await app.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
