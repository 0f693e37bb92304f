/**
 * Relay throughput: events per second from a pre-filled embedded store to
 * committed in Kafka (read_committed), through the real relay and a real
 * broker. Uses KAFKA_BROKERS when set, else starts a broker of its own.
 *
 *   npm run bench:relay  (node --max-semi-space-size=64: a larger young generation, fewer scavenges)
 *                          # RELAY_BENCH_EVENTS (default 100000), RELAY_BENCH_BATCH (1000), RELAY_BENCH_COMPRESSION (gzip|none)
 */
import { createServer } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaRelay, topicsWithSuffix } from '@ipt/analytics-feed';
import {
  appendInterleaved,
  eventCount,
  generateCourse,
  type GeneratedCourse,
} from '../test/support/kafka-courses';
import { tempStore, uniqueSuffix, waitFor } from '../test/support/kafka-feed';

/* eslint-disable @typescript-eslint/no-require-imports -- infra/kafka/broker.js is plain CommonJS outside the TypeScript build */
const broker = require('../infra/kafka/broker.js') as {
  startBroker(o: {
    port: number;
    controllerPort: number;
  }): Promise<{ bootstrap: string; startMs: number }>;
  stopBroker(o: { port: number; removeData?: boolean }): Promise<number | undefined>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

async function countCommitted(brokers: string[], topic: string, expected: number): Promise<number> {
  const consumer = new Kafka({
    clientId: 'relay-bench-reader',
    brokers,
    logLevel: logLevel.NOTHING,
  }).consumer({
    groupId: `relay-bench-${Date.now()}`,
    readUncommitted: false,
  });
  let n = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => void (n += batch.messages.length),
  });
  await waitFor(
    () => n >= expected,
    120_000,
    () => `(read ${n})`,
  );
  await consumer.disconnect();
  return n;
}

async function main(): Promise<void> {
  const target = Number(process.env.RELAY_BENCH_EVENTS ?? 100_000);
  const batch = Number(process.env.RELAY_BENCH_BATCH ?? 1000);
  const compression = process.env.RELAY_BENCH_COMPRESSION === 'none' ? 'none' : 'gzip';
  let ownPort: number | undefined;
  let brokers = process.env.KAFKA_BROKERS?.split(',');
  if (!brokers) {
    ownPort = await freePort();
    const started = await broker.startBroker({ port: ownPort, controllerPort: await freePort() });
    console.log(
      `broker started in ${(started.startMs / 1000).toFixed(1)} s at ${started.bootstrap}`,
    );
    brokers = [started.bootstrap];
  }
  const temp = tempStore();
  try {
    const courses: GeneratedCourse[] = [];
    let events = 0;
    for (let i = 0; events < target; i++) {
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
      `store pre-filled: ${events} events of ${courses.length} courses in ${((Date.now() - tFill) / 1000).toFixed(1)} s`,
    );

    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const relay = new KafkaRelay({
      store: temp.store,
      brokers,
      transactionalId: `relay-bench${suffix}`,
      topics,
      maxBatchEvents: batch,
      compression,
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (o, m) => console.warn('relay:', m, JSON.stringify(o)),
        error: (o, m) => console.error('relay:', m, JSON.stringify(o)),
      },
    });
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    await relay.start();
    const tRunning = Date.now();
    await waitFor(async () => (await relay.status()).lag === 0, 600_000);
    const t1 = Date.now();
    const cpu = process.cpuUsage(c0);
    const status = await relay.status();
    await relay.stop();

    const committed = await countCommitted(brokers, topics.courseEvents, events);
    const steady = events / ((t1 - tRunning) / 1000);
    const overall = events / ((t1 - t0) / 1000);
    console.log(`relay start (topics, fencing, checkpoint read): ${tRunning - t0} ms`);
    console.log(
      `relayed ${status.eventsRelayed} events in ${status.batchesCommitted} transactions of up to ${batch} (${compression}): ${(t1 - tRunning) / 1000} s`,
    );
    console.log(
      `throughput: ${Math.round(steady)} events/s committed (${Math.round(overall)} events/s including the relay's start)`,
    );
    console.log(
      `relay process CPU while relaying: ${Math.round((cpu.user + cpu.system) / 1000)} ms of ${t1 - t0} ms wall`,
    );
    console.log(`read_committed consumer counted ${committed} events (expected ${events})`);
    if (committed !== events) process.exitCode = 1;
  } finally {
    await temp.close();
    if (ownPort !== undefined) await broker.stopBroker({ port: ownPort, removeData: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
