/**
 * The embedded store on this runtime's SQLite driver: append throughput (64
 * concurrent single-event appends, synchronous=FULL, group commit) and read
 * speed (the whole log in pages of 1,000; 10,000 reads of a 20-event stream).
 * Prints one markdown table row: rate and CPU µs per append / event / stream read. Compare runtimes, or another checkout's store:
 *
 *   node -r ./test/support/kafka-ts-register.js bench/sqlite-driver.bench.ts [store module]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@ipt/event-store';

const STORE_MODULE =
  process.argv[2] ??
  path.join(__dirname, '..', 'libs', 'event-store', 'src', 'sqlite', 'sqlite-event-store.ts');
const WRITERS = 64;
const STREAMS = 2_000;
const APPENDS = 40_000;

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the store under measurement is chosen at run time
  const { SqliteEventStore } = require(STORE_MODULE) as {
    SqliteEventStore: new (file: string) => EventStore & { close(): Promise<void> };
  };
  const driverModule = path.join(path.dirname(STORE_MODULE), 'driver');
  let driver = 'better-sqlite3 (direct)'; // a checkout from before the driver port
  if (fs.existsSync(driverModule)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- present only where the port is
    const port = require(driverModule) as { sqliteDriverName(): string };
    driver = port.sqliteDriverName();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-bench-driver-'));
  const store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
  const streams = Array.from({ length: STREAMS }, () => `course-${randomUUID()}`);
  try {
    let next = 0;
    const appendStart = process.hrtime.bigint();
    const appendCpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let i = next++; i < APPENDS; i = next++) {
          await store.appendToStream(
            streams[i % STREAMS],
            [
              {
                eventId: randomUUID(),
                type: 'SessionMissed',
                data: { courseId: 'x', scheduledAt: '2025-02-01T10:00:00.000Z', i },
                metadata: {
                  clinicId: 'bench',
                  recordedAt: new Date().toISOString(),
                  schemaVersion: 1,
                },
              },
            ],
            { expectedRevision: 'any' },
          );
        }
      }),
    );
    const appendSeconds = seconds(appendStart);
    const appendMicros = cpuMicros(appendCpu);

    const logStart = process.hrtime.bigint();
    const logCpu = process.cpuUsage();
    let read = 0;
    for (let from: bigint | undefined = 0n; ;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 1000 });
      read += page.length;
      if (page.length < 1000) break;
      from = page[page.length - 1].position + 1n;
    }
    const logSeconds = seconds(logStart);
    const logMicros = cpuMicros(logCpu);

    const streamStart = process.hrtime.bigint();
    const streamCpu = process.cpuUsage();
    for (let i = 0; i < 10_000; i++) await store.readStream(streams[i % STREAMS]);
    const streamSeconds = seconds(streamStart);
    const streamMicros = cpuMicros(streamCpu);

    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en');
    const per = (micros: number, n: number) => (micros / n).toFixed(1);
    // Rate, and this process's CPU µs per operation (robust to other load on the machine).
    process.stdout.write(
      `| Node ${process.versions.node} | ${driver} | ${rate(APPENDS, appendSeconds)} | ${per(appendMicros, APPENDS)} | ${rate(read, logSeconds)} | ${per(logMicros, read)} | ${rate(10_000, streamSeconds)} | ${per(streamMicros, 10_000)} |\n`,
    );
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
