/**
 * The append workload of issue 14, the same for every store measured: one
 * event per command, appended with the stream's expected revision, 64
 * concurrent writers over 10,000 streams (a writer never takes a stream
 * another writer is appending to, so no append is refused), each append
 * acknowledged only after the store's fsync. Reports appends/s and the CPU of
 * this process per append (robust to other load on the machine; for a server
 * store such as PostgreSQL the server's CPU is not in it).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

export const WRITERS = 64;
export const STREAMS = 10_000;

/** One store under measurement: append one event at `expected` (-1: the stream does not exist yet). */
export interface AppendTarget {
  name: string;
  append(streamId: string, expected: number, event: BenchEvent): Promise<void>;
}

export interface BenchEvent {
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface AppendRate {
  appendsPerSecond: number;
  cpuMicrosPerAppend: number;
  p99Ms: number;
  /** Bytes this process wrote (write/pwrite calls: WAL frames, checkpoints) per append; Linux only. */
  bytesWrittenPerAppend?: number;
  /** read/pread calls per append (pages not in SQLite's cache); Linux only. */
  readCallsPerAppend?: number;
  /** The machine's 1-minute load average when the measurement ended. */
  load?: number;
}

/** This process's I/O counters (Linux /proc/self/io), or undefined elsewhere. */
function ioCounters(): { wchar: number; syscr: number } | undefined {
  try {
    const text = fs.readFileSync('/proc/self/io', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1]);
    return { wchar: field('wchar'), syscr: field('syscr') };
  } catch {
    return undefined;
  }
}

/** The event every store appends: the size and shape of a missed session with its metadata. */
export function benchEvent(
  streamId: string,
  revision: number,
  newId: () => string = randomUUID,
): BenchEvent {
  return {
    eventId: newId(),
    type: 'SessionMissed',
    data: {
      courseId: streamId,
      scheduledAt: '2025-02-01T10:00:00.000Z',
      kind: 'did_not_attend',
      revision,
    },
    metadata: {
      actor: { id: 'bench-user', role: 'clinician' },
      clinicId: 'bench-clinic',
      commandId: newId(),
      correlationId: newId(),
      schemaVersion: 1,
      recordedAt: new Date().toISOString(),
      commandType: 'RecordMissedSession',
    },
  };
}

/** Stream names and their revisions, kept across measurements of one store. */
export class StreamSet {
  readonly ids: string[];
  readonly revisions: Int32Array;
  private readonly busy: Uint8Array;

  constructor(prefix: string, count = STREAMS) {
    this.ids = Array.from({ length: count }, () => `${prefix}${randomUUID()}`);
    this.revisions = new Int32Array(count).fill(-1);
    this.busy = new Uint8Array(count);
  }

  /** A random stream no other writer holds. */
  take(): number {
    for (;;) {
      const i = Math.floor(Math.random() * this.ids.length);
      if (!this.busy[i]) {
        this.busy[i] = 1;
        return i;
      }
    }
  }

  release(i: number): void {
    this.busy[i] = 0;
  }
}

/** Runs the workload for `seconds` and measures it. */
export async function measureAppends(
  target: AppendTarget,
  streams: StreamSet,
  seconds: number,
  newId?: () => string,
): Promise<AppendRate> {
  let done = 0;
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const io = ioCounters();
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (Date.now() < until) {
        const i = streams.take();
        const expected = streams.revisions[i];
        const t0 = process.hrtime.bigint();
        try {
          await target.append(
            streams.ids[i],
            expected,
            benchEvent(streams.ids[i], expected + 1, newId),
          );
          streams.revisions[i] = expected + 1;
        } finally {
          streams.release(i);
        }
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const ioAfter = ioCounters();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    appendsPerSecond: Math.round(done / wall),
    cpuMicrosPerAppend: Math.round((used.user + used.system) / done),
    p99Ms: Number((latencies[Math.floor(latencies.length * 0.99)] ?? 0).toFixed(1)),
    load: Number(os.loadavg()[0].toFixed(1)),
    ...(io && ioAfter
      ? {
          bytesWrittenPerAppend: Math.round((ioAfter.wchar - io.wchar) / done),
          readCallsPerAppend: Number(((ioAfter.syscr - io.syscr) / done).toFixed(2)),
        }
      : {}),
  };
}
