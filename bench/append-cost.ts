/**
 * Append cost of the embedded store as it grows: the append workload
 * (append-workload.ts) at 10,000 and at 1,000,000 stored events, on one file.
 *
 *   node -r ./test/support/kafka-ts-register.js bench/append-cost.ts   (prints the rows)
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, newEventId } from '@ipt/event-store';
import { benchEvent, measureAppends, StreamSet, type AppendRate } from './append-workload';

/** BENCH_EVENT_IDS=v4: random ids, as the service generated before issue 14 (for the comparison). */
const eventIds: () => string =
  process.env.BENCH_EVENT_IDS === 'v4' ? () => randomUUID() : newEventId;

export interface AppendCostRow extends AppendRate {
  stored: number;
}

/** Our store as an append target. */
export const sqliteTarget = (store: SqliteEventStore) => ({
  name: 'embedded SQLite store',
  append: async (streamId: string, expected: number, event: ReturnType<typeof benchEvent>) => {
    await store.appendToStream(streamId, [event], {
      expectedRevision: expected < 0 ? 'no_stream' : expected,
    });
  },
});

/** Fills a store to `size` events in appends of up to 100 events per stream, round the streams, as commands would have. */
async function fill(store: SqliteEventStore, streams: StreamSet, size: number): Promise<void> {
  let stored = streams.revisions.reduce((sum, r) => sum + r + 1, 0);
  let s = 0;
  while (stored < size) {
    const pending: Promise<unknown>[] = [];
    for (let k = 0; k < 64 && stored < size; k++) {
      const i = s++ % streams.ids.length;
      const n = Math.min(100, size - stored);
      const from = streams.revisions[i];
      const events = Array.from({ length: n }, (_, j) =>
        benchEvent(streams.ids[i], from + 1 + j, eventIds),
      );
      streams.revisions[i] = from + n;
      stored += n;
      pending.push(
        store.appendToStream(streams.ids[i], events, {
          expectedRevision: from < 0 ? 'no_stream' : from,
        }),
      );
    }
    await Promise.all(pending);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The workload on a store of `small` events and on one of `large` events,
 * measured alternately (`rounds` times each, `seconds` per measurement; the
 * small store is made afresh each round) so that both see the same load from
 * the rest of the machine; the medians are reported.
 */
export async function appendCostSmallVsLarge(
  small: number,
  large: number,
  seconds: number,
  rounds = 3,
): Promise<AppendCostRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-bench-append-'));
  const big = new SqliteEventStore(path.join(dir, 'large.sqlite'));
  const bigStreams = new StreamSet('course-');
  const results: { small: AppendRate[]; large: AppendRate[] } = { small: [], large: [] };
  try {
    await fill(big, bigStreams, large);
    for (let round = 0; round < rounds; round++) {
      const file = path.join(dir, `small-${round}.sqlite`);
      const store = new SqliteEventStore(file);
      const streams = new StreamSet('course-');
      try {
        await fill(store, streams, small);
        results.small.push(await measureAppends(sqliteTarget(store), streams, seconds, eventIds));
      } finally {
        await store.close();
        for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(`small-${round}`)))
          fs.rmSync(path.join(dir, f));
      }
      results.large.push(await measureAppends(sqliteTarget(big), bigStreams, seconds, eventIds));
    }
  } finally {
    await big.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const summary = (stored: number, rates: AppendRate[]): AppendCostRow => ({
    stored,
    appendsPerSecond: median(rates.map((r) => r.appendsPerSecond)),
    cpuMicrosPerAppend: median(rates.map((r) => r.cpuMicrosPerAppend)),
    p99Ms: median(rates.map((r) => r.p99Ms)),
    bytesWrittenPerAppend: median(rates.map((r) => r.bytesWrittenPerAppend ?? 0)),
    readCallsPerAppend: median(rates.map((r) => r.readCallsPerAppend ?? 0)),
    load: median(rates.map((r) => r.load ?? 0)),
  });
  return [summary(small, results.small), summary(large, results.large)];
}

if (require.main === module) {
  appendCostSmallVsLarge(
    10_000,
    Number(process.env.BENCH_APPEND_MAX ?? 1_000_000),
    Number(process.env.BENCH_APPEND_SECONDS ?? 3),
  )
    .then((rows) => rows.forEach((row) => console.log(JSON.stringify(row))))
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
