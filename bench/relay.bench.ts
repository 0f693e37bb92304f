/**
 * The relay against a real broker, two figures:
 *
 * - throughput: events per second from a pre-filled embedded store to
 *   committed in Kafka (read_committed), run twice on the same broker (fresh,
 *   then warm: the broker's JIT and page cache have seen a run);
 * - latency: with the relay running, commands appended to the embedded store
 *   (SqliteEventStore.appendToStream, not HTTP) at a steady rate; a
 *   read_committed consumer in this process records, for every event, the
 *   time from the append's acknowledgment to its consumption.
 *
 * Uses KAFKA_BROKERS when set, else starts a broker of its own and stops it
 * (with its data) at the end; temp stores are removed.
 *
 *   npm run bench:relay  (node --max-semi-space-size=64: a larger young generation, fewer scavenges)
 *   env: RELAY_BENCH_MODE (all | throughput | latency), RELAY_BENCH_EVENTS (100000),
 *        RELAY_BENCH_BATCH (the relay's default), RELAY_BENCH_REQUEST_BYTES (the relay's default),
 *        RELAY_BENCH_COMPRESSION (none | gzip), RELAY_BENCH_RUNS (throughput runs, 2),
 *        RELAY_BENCH_RATE (commands/s, 1000), RELAY_BENCH_SECONDS (10),
 *        RELAY_BENCH_CONSUMER_WAIT_MS (the latency consumer's fetch wait, 100),
 *        RELAY_BENCH_CPU_PROFILE (file: a CPU profile of the first throughput run's relaying),
 *        RELAY_BENCH_BROKER_PID (to report the CPU of a broker given by KAFKA_BROKERS),
 *        RELAY_BENCH_PRODUCER (auto | native | kafkajs: the relay's Kafka producer; default auto),
 *        RELAY_BENCH_JSON (file: the figures as JSON, for npm run bench)
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import {
  KafkaRelay,
  topicsWithSuffix,
  type FeedTopics,
  type KafkaRelayOptions,
} from '@ipt/analytics-feed';
import type { EventStore } from '@ipt/event-store';
import {
  appendInterleaved,
  eventCount,
  generateCourse,
  type GeneratedCourse,
} from '../test/support/kafka-courses';
import { tempStore, uniqueSuffix, waitFor } from '../test/support/kafka-feed';
import { processCpuSeconds } from './process-cpu';

import * as broker from '../infra/kafka/broker';

const env = process.env;
const MODE = env.RELAY_BENCH_MODE ?? 'all';
const EVENTS = Number(env.RELAY_BENCH_EVENTS ?? 100_000);
const RUNS = Number(env.RELAY_BENCH_RUNS ?? 2);
const RATE = Number(env.RELAY_BENCH_RATE ?? 1000);
const SECONDS = Number(env.RELAY_BENCH_SECONDS ?? 10);
/** The latency consumer's fetch wait: how long the broker may hold a fetch that finds nothing new. */
const CONSUMER_WAIT_MS = Number(env.RELAY_BENCH_CONSUMER_WAIT_MS ?? 100);
const COMPRESSION = env.RELAY_BENCH_COMPRESSION === 'gzip' ? 'gzip' : 'none';
const PRODUCER = (env.RELAY_BENCH_PRODUCER ?? 'auto') as KafkaRelayOptions['producer'];
const RELAY_OPTIONS: Partial<KafkaRelayOptions> = {
  compression: COMPRESSION,
  producer: PRODUCER,
  ...(env.RELAY_BENCH_BATCH ? { maxBatchEvents: Number(env.RELAY_BENCH_BATCH) } : {}),
  ...(env.RELAY_BENCH_REQUEST_BYTES
    ? { maxRequestBytes: Number(env.RELAY_BENCH_REQUEST_BYTES) }
    : {}),
};

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

/** CPU time (ms) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  const seconds = pid ? processCpuSeconds(pid) : undefined;
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

const benchLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (o: object, m?: string) => console.warn('relay:', m, JSON.stringify(o)),
  error: (o: object, m?: string) => console.error('relay:', m, JSON.stringify(o)),
};

/** Messages per topic that a read_committed consumer sees, once `events` have arrived on `eventsTopic` and nothing more for a second. */
async function countCommitted(
  brokers: string[],
  topics: string[],
  eventsTopic: string,
  events: number,
): Promise<Map<string, number>> {
  const consumer = new Kafka({
    clientId: 'relay-bench-reader',
    brokers,
    logLevel: logLevel.NOTHING,
  }).consumer({ groupId: `relay-bench-${uniqueSuffix()}`, readUncommitted: false });
  const counts = new Map(topics.map((t) => [t, 0]));
  let lastAt = Date.now();
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        counts.set(batch.topic, (counts.get(batch.topic) ?? 0) + batch.messages.length);
        lastAt = Date.now();
      },
    });
    await waitFor(
      () => (counts.get(eventsTopic) ?? 0) >= events && Date.now() - lastAt > 1000,
      120_000,
      () => `(read ${counts.get(eventsTopic)})`,
    );
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

interface ThroughputFigures {
  eventsPerSecond: number;
  ok: boolean;
  producer: string | null;
  relayCpuMs: number;
  wallMs: number;
}

interface LatencyFigures {
  ok: boolean;
  commandsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /**
   * Where an event's latency goes, p50/p95/p99 ms each: waiting (append acknowledged → its
   * transaction begins: the transaction before it, the batch's mapping), the transaction
   * (begin → the broker's commit acknowledgment) and delivery (→ the consumer has it).
   */
  stages: Record<'waiting' | 'transaction' | 'delivery', [number, number, number]>;
}

/** What RELAY_BENCH_JSON receives. */
const summary: {
  producer: string | null;
  throughput: ThroughputFigures[];
  latency?: LatencyFigures;
} = {
  producer: null,
  throughput: [],
};

async function throughputRun(
  brokers: string[],
  brokerPid: number | undefined,
  label: string,
  profile: string | undefined,
): Promise<ThroughputFigures> {
  console.log(`\n-- throughput, ${label}`);
  const temp = tempStore();
  try {
    const courses: GeneratedCourse[] = [];
    let events = 0;
    for (let i = 0; events < EVENTS; i++) {
      const c = generateCourse(i, {
        full: i % 4 === 0,
        ending: i % 3 === 0 ? 'withdrawn' : 'completed',
      });
      courses.push(c);
      events += eventCount(c);
    }
    const tFill = Date.now();
    await appendInterleaved(temp.store, courses, 256);
    console.log(
      `store pre-filled: ${events} events of ${courses.length} courses (interleaved: one command of every course, then the next) in ${((Date.now() - tFill) / 1000).toFixed(1)} s`,
    );

    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const relay = benchRelay(temp.store, brokers, suffix, topics);
    const inspector = profile ? new Session() : undefined;
    if (inspector) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
    }
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const rssTimer = setInterval(
      () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
      100,
    );
    const c0 = process.cpuUsage();
    const b0 = processCpuMs(brokerPid);
    // What the relay's catch-up costs whatever else shares its process (the API, in embedded mode).
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = Date.now();
    await relay.start();
    const tRunning = Date.now();
    await waitFor(async () => (await relay.status()).lag === 0, 600_000);
    const t1 = Date.now();
    loop.disable();
    const cpu = process.cpuUsage(c0);
    const b1 = processCpuMs(brokerPid);
    clearInterval(rssTimer);
    if (inspector && profile) {
      const { profile: taken } = await inspector.post('Profiler.stop');
      writeFileSync(profile, JSON.stringify(taken));
      inspector.disconnect();
      console.log(`CPU profile of the relaying written to ${profile}`);
    }
    const status = await relay.status();
    const producer = relay.producer;
    await relay.stop();

    const counts = await countCommitted(
      brokers,
      [topics.courseEvents, topics.courseOutcomes],
      topics.courseEvents,
      events,
    );
    const committed = counts.get(topics.courseEvents) ?? 0;
    const snapshots = counts.get(topics.courseOutcomes) ?? 0;
    const steady = events / ((t1 - tRunning) / 1000);
    const overall = events / ((t1 - t0) / 1000);
    console.log(`relay start (topics, fencing, checkpoint read): ${tRunning - t0} ms`);
    console.log(
      `relayed ${status.eventsRelayed} events in ${status.batchesCommitted} transactions (${COMPRESSION}): ${(t1 - tRunning) / 1000} s`,
    );
    console.log(
      `throughput: ${Math.round(steady)} events/s committed (${Math.round(overall)} events/s including the relay's start)`,
    );
    console.log(
      `snapshots produced: ${snapshots} (${(snapshots / events).toFixed(2)} per event: the last of each course per transaction)`,
    );
    console.log(
      `relay process CPU while relaying: ${Math.round((cpu.user + cpu.system) / 1000)} ms of ${t1 - t0} ms wall` +
        (b0 !== undefined && b1 !== undefined ? `; broker CPU: ${b1 - b0} ms` : ''),
    );
    console.log(
      `RSS: ${Math.round(rssBefore / 2 ** 20)} MB before the relay, peak ${Math.round(peakRss / 2 ** 20)} MB while relaying`,
    );
    console.log(
      `event-loop delay while relaying, p99 / max: ${(loop.percentile(99) / 1e6).toFixed(1)} / ${(loop.max / 1e6).toFixed(1)} ms`,
    );
    console.log(`read_committed consumer counted ${committed} events (expected ${events})`);
    console.log(`producer: ${producer}`);
    return {
      eventsPerSecond: steady,
      ok: committed === events,
      producer,
      relayCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      wallMs: t1 - tRunning,
    };
  } finally {
    await temp.close();
  }
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Commands at a steady rate while the relay runs; append acknowledgment → read_committed consumption, per event. */
/** The relay under measurement, with the benchmark's options and its own transactional id. */
function benchRelay(
  store: EventStore,
  brokers: string[],
  suffix: string,
  topics: FeedTopics,
): KafkaRelay {
  return new KafkaRelay({
    store,
    brokers,
    transactionalId: `relay-bench${suffix}`,
    topics,
    ...RELAY_OPTIONS,
    logger: benchLogger,
  });
}

async function latencyRun(brokers: string[]): Promise<LatencyFigures> {
  console.log(`\n-- latency, ${RATE} commands/s for ${SECONDS} s`);
  const temp = tempStore();
  const suffix = uniqueSuffix();
  const topics = topicsWithSuffix(suffix);
  const relay = benchRelay(temp.store, brokers, suffix, topics);
  const consumer = new Kafka({
    clientId: 'relay-bench-latency',
    brokers,
    logLevel: logLevel.NOTHING,
  }).consumer({
    groupId: `relay-bench-latency${suffix}`,
    readUncommitted: false,
    maxWaitTimeInMs: CONSUMER_WAIT_MS,
  });
  try {
    // Commands of many courses, one step of each course in turn (as appendInterleaved orders them).
    const total = RATE * SECONDS;
    const courses: GeneratedCourse[] = [];
    for (let i = 0, n = 0; n < total; i++) {
      const c = generateCourse(i, { full: i % 4 === 0 });
      courses.push(c);
      n += c.appends.length;
    }
    const commands: { course: GeneratedCourse; step: number }[] = [];
    for (let step = 0; commands.length < total; step++)
      for (const course of courses)
        if (step < course.appends.length && commands.length < total)
          commands.push({ course, step });

    // Each committed transaction's positions and when it began and ended, to split the latency.
    const transactions: { first: bigint; last: bigint; began: number; ended: number }[] = [];
    relay.onCommitted(({ first, last, seconds }) => {
      const ended = performance.now();
      transactions.push({ first, last, began: ended - seconds * 1000, ended });
    });
    await relay.start(); // creates the topics
    const ackedAt = new Map<string, number>();
    const positionOf = new Map<string, bigint>();
    const consumedAt = new Map<string, number>();
    const latencies: number[] = [];
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.connect();
    await consumer.subscribe({ topic: topics.courseEvents, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const now = performance.now();
        const { id } = JSON.parse(message.value?.toString() ?? '{}') as { id: string };
        const acked = ackedAt.get(id);
        if (acked !== undefined) latencies.push(now - acked);
        consumedAt.set(id, now);
      },
    });
    await waitFor(
      () => joined,
      30_000,
      () => 'for the latency consumer to join',
    );

    let events = 0;
    let failed = 0;
    const appends: Promise<void>[] = [];
    const t0 = performance.now();
    let sent = 0;
    while (sent < commands.length) {
      const due = Math.min(commands.length, Math.floor(((performance.now() - t0) * RATE) / 1000));
      for (; sent < due; sent++) {
        const { course, step } = commands[sent];
        const batch = course.appends[step];
        events += batch.length;
        appends.push(
          temp.store
            .appendToStream(course.streamId, batch, {
              expectedRevision: step === 0 ? 'no_stream' : 'any',
            })
            .then(
              ({ position }) => {
                const at = performance.now();
                // One append's events have consecutive positions, its last at `position`.
                for (const [i, e] of batch.entries()) {
                  ackedAt.set(e.eventId, at);
                  positionOf.set(e.eventId, position - BigInt(batch.length - 1 - i));
                }
              },
              () => void failed++,
            ),
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    await Promise.all(appends);
    await waitFor(
      () => latencies.length >= events - failed,
      60_000,
      () => `(consumed ${latencies.length} of ${events} events)`,
    );
    const sorted = [...latencies].sort((a, b) => a - b);
    const stages = latencyStages(ackedAt, positionOf, consumedAt, transactions);
    const status = await relay.status();
    console.log(
      `appended ${commands.length} commands (${events} events, ${failed} failed) in ${sendSeconds.toFixed(2)} s: ${Math.round(commands.length / sendSeconds)} commands/s, ${Math.round(events / sendSeconds)} events/s`,
    );
    console.log(
      `relay: ${status.batchesCommitted} transactions, ${(status.eventsRelayed / Math.max(1, status.batchesCommitted)).toFixed(1)} events each on average`,
    );
    console.log(
      `append acknowledged → consumed (read_committed), ms: p50 ${percentile(sorted, 50).toFixed(1)}, p95 ${percentile(sorted, 95).toFixed(1)}, p99 ${percentile(sorted, 99).toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)}`,
    );
    summary.producer = relay.producer;
    return {
      ok: failed === 0 && latencies.length === events,
      commandsPerSecond: Math.round(commands.length / sendSeconds),
      p50: Number(percentile(sorted, 50).toFixed(1)),
      p95: Number(percentile(sorted, 95).toFixed(1)),
      p99: Number(percentile(sorted, 99).toFixed(1)),
      max: Number(sorted[sorted.length - 1].toFixed(1)),
      stages,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await relay.stop();
    await temp.close();
  }
}

/** Each consumed event's latency split at its transaction's begin and end (see LatencyFigures). */
function latencyStages(
  ackedAt: Map<string, number>,
  positionOf: Map<string, bigint>,
  consumedAt: Map<string, number>,
  transactions: { first: bigint; last: bigint; began: number; ended: number }[],
): LatencyFigures['stages'] {
  const split = { waiting: [] as number[], transaction: [] as number[], delivery: [] as number[] };
  for (const [id, consumed] of consumedAt) {
    const position = positionOf.get(id);
    const acked = ackedAt.get(id);
    if (position === undefined || acked === undefined) continue;
    // Transactions are told in log order: the first whose last position reaches the event's.
    let lo = 0;
    let hi = transactions.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (transactions[mid].last < position) lo = mid + 1;
      else hi = mid;
    }
    const t = transactions[lo];
    if (!t || t.first > position || t.last < position) continue;
    split.waiting.push(t.began - acked);
    split.transaction.push(t.ended - t.began);
    split.delivery.push(consumed - t.ended);
  }
  const q = (values: number[]): [number, number, number] => {
    const s = [...values].sort((a, b) => a - b);
    return [50, 95, 99].map((p) => Number(percentile(s, p).toFixed(1))) as [number, number, number];
  };
  const stages = {
    waiting: q(split.waiting),
    transaction: q(split.transaction),
    delivery: q(split.delivery),
  };
  console.log(
    `split (p50/p95/p99 ms, ${split.waiting.length} events): waiting ${stages.waiting.join('/')}, ` +
      `transaction ${stages.transaction.join('/')}, delivery ${stages.delivery.join('/')}`,
  );
  return stages;
}

async function main(): Promise<void> {
  let ownPort: number | undefined;
  let brokerPid = Number(env.RELAY_BENCH_BROKER_PID) || undefined;
  let brokers = env.KAFKA_BROKERS?.split(',');
  try {
    if (!brokers) {
      ownPort = await freePort();
      const started = await broker.startBroker({ port: ownPort, controllerPort: await freePort() });
      console.log(
        `broker started in ${(started.startMs / 1000).toFixed(1)} s at ${started.bootstrap}`,
      );
      brokers = [started.bootstrap];
      brokerPid = started.pid;
    }
    let ok = true;
    if (MODE === 'all' || MODE === 'throughput') {
      const figures: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const label = run === 0 ? (ownPort ? 'fresh broker' : 'first run') : 'warm broker';
        const r = await throughputRun(
          brokers,
          brokerPid,
          label,
          run === 0 ? env.RELAY_BENCH_CPU_PROFILE : undefined,
        );
        figures.push(r.eventsPerSecond);
        summary.throughput.push(r);
        summary.producer = r.producer;
        ok &&= r.ok;
      }
      console.log(`\nthroughput, events/s: ${figures.map((f) => Math.round(f)).join(', ')}`);
    }
    if (MODE === 'all' || MODE === 'latency') {
      summary.latency = await latencyRun(brokers);
      ok = summary.latency.ok && ok;
    }
    if (env.RELAY_BENCH_JSON) writeFileSync(env.RELAY_BENCH_JSON, JSON.stringify(summary));
    if (!ok) process.exitCode = 1;
  } finally {
    if (ownPort !== undefined) await broker.stopBroker({ port: ownPort, removeData: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
