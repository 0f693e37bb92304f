/** What the Kafka suites share: the broker address, temp stores, and consumers that read the feed as analytics would. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { SqliteEventStore } from '@ipt/event-store';
import type { RelayLogger } from '@ipt/analytics-feed';

export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers)
    throw new Error(
      'KAFKA_BROKERS is unset: run the Kafka suites through jest (its global setup starts a broker)',
    );
  return brokers.split(',');
}

/** A suffix that gives one test its own topics and transactional id. */
export const uniqueSuffix = (): string => `-t${randomUUID().slice(0, 8)}`;

export interface TempStore {
  store: SqliteEventStore;
  file: string;
  close(): Promise<void>;
}

export function tempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'ipt-kafka-'));
  const file = join(dir, 'events.db');
  const store = new SqliteEventStore(file);
  return {
    store,
    file,
    close: async () => {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FeedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** The raw bytes of the value, as a consumer gets them. */
  raw: Buffer;
  headers: IHeaders;
}

/**
 * Reads `topics` from the beginning with a fresh consumer group until `done`
 * holds, then on until the consumer has read every partition to where its log
 * ended at that moment, so that a duplicate already in the log shows up.
 */
export async function readFeed(
  brokers: string[],
  topics: string[],
  options: {
    isolation?: 'read_committed' | 'read_uncommitted';
    done: (messages: FeedMessage[]) => boolean;
    timeoutMs?: number;
  },
): Promise<FeedMessage[]> {
  const kafka = new Kafka({ clientId: 'feed-test-reader', brokers, logLevel: logLevel.NOTHING });
  const isolation = options.isolation ?? 'read_committed';
  const consumer = kafka.consumer({
    groupId: `feed-test-${randomUUID()}`,
    readUncommitted: isolation === 'read_uncommitted',
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  const messages: FeedMessage[] = [];
  const fetched = new FetchedPositions();
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const remaining = () => Math.max(0, deadline - Date.now());
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => fetched.record(payload));
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          raw: message.value ?? Buffer.alloc(0),
          headers: message.headers ?? {},
        });
      },
    });
    await waitFor(
      () => options.done(messages),
      remaining(),
      () => `read ${messages.length} messages`,
    );
    const ends = await logEnds(kafka, topics, isolation, fetched);
    await waitFor(
      () => fetched.reached(ends),
      remaining(),
      () => `read ${messages.length} messages; not yet at the log ends ${fetched.behind(ends)}`,
    );
    return messages;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** A partition's log start and the offset a reader is done at, keyed `topic/partition`. */
type LogEnds = Map<string, { low: bigint; end: bigint }>;

/**
 * How far the consumer has fetched each partition: the offset after the last
 * record of each fetched batch. kafkajs reports batches that held only
 * transaction markers or aborted records too, which the consumer skips
 * without handing a message over.
 */
class FetchedPositions {
  private readonly next = new Map<string, bigint>();
  /** The high watermark each partition's last fetch reported. */
  readonly highWatermarks = new Map<string, bigint>();

  record(batch: { topic: string; partition: number; lastOffset: string; highWatermark: string }) {
    const at = `${batch.topic}/${batch.partition}`;
    const next = BigInt(batch.lastOffset) + 1n;
    if (next > (this.next.get(at) ?? -1n)) this.next.set(at, next);
    const high = BigInt(batch.highWatermark);
    if (high > (this.highWatermarks.get(at) ?? -1n)) this.highWatermarks.set(at, high);
  }

  reached(ends: LogEnds): boolean {
    return [...ends].every(([at, { low, end }]) => (this.next.get(at) ?? low) >= end);
  }

  behind(ends: LogEnds): string {
    return [...ends]
      .filter(([at, { low, end }]) => (this.next.get(at) ?? low) < end)
      .map(([at, { low, end }]) => `${at} at ${this.next.get(at) ?? low} of ${end}`)
      .join(', ');
  }
}

/**
 * Where each partition's log ends for this reader now. The admin API gives
 * the last stable offset (the end for read_committed). A read_uncommitted
 * reader also sees an open transaction's records up to the high watermark,
 * which only fetch responses report: the highest one fetched so far counts.
 */
async function logEnds(
  kafka: Kafka,
  topics: string[],
  isolation: 'read_committed' | 'read_uncommitted',
  fetched: FetchedPositions,
): Promise<LogEnds> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: LogEnds = new Map();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const at = `${topic}/${p.partition}`;
        let end = BigInt(p.offset);
        const high = fetched.highWatermarks.get(at);
        if (isolation === 'read_uncommitted' && high !== undefined && high > end) end = high;
        ends.set(at, { low: BigInt(p.low), end });
      }
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** Keeps the relay's own log lines for a failing test's message, instead of printing them. */
export function memoryLogger(): RelayLogger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    if (level !== 'debug') lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface ParsedEvent {
  key: string;
  partition: number;
  id: string;
  subject: string;
  sequence: number;
  type: string;
}

export const parseEvents = (messages: FeedMessage[]): ParsedEvent[] =>
  messages.map((m) => {
    const ce = JSON.parse(m.raw.toString('utf8')) as {
      id: string;
      subject: string;
      sequence: string;
      type: string;
    };
    return {
      key: m.key,
      partition: m.partition,
      id: ce.id,
      subject: ce.subject,
      sequence: Number(ce.sequence),
      type: ce.type,
    };
  });

/**
 * Exactly once, in order per course: every expected event id once, no other,
 * and each course's revisions 0..n-1 in partition order on one partition.
 */
export function assertExactlyOnceInOrder(
  events: ParsedEvent[],
  expected: Map<string, string[]>,
): void {
  const ids = events.map((e) => e.id);
  const unique = new Set(ids);
  expect(ids.length - unique.size).toBe(0); // no duplicates
  const expectedIds = [...expected.values()].flat();
  expect(unique.size).toBe(expectedIds.length);
  for (const id of expectedIds) if (!unique.has(id)) throw new Error(`event ${id} never arrived`);
  const byCourse = new Map<string, ParsedEvent[]>();
  for (const e of events) byCourse.set(e.key, [...(byCourse.get(e.key) ?? []), e]);
  for (const [courseId, eventIds] of expected) {
    const got = byCourse.get(courseId) ?? [];
    expect(got.map((e) => e.sequence)).toEqual(eventIds.map((_, i) => i));
    expect(got.map((e) => e.id)).toEqual(eventIds);
    expect(new Set(got.map((e) => e.partition)).size).toBe(1);
    expect(got.every((e) => e.subject === courseId)).toBe(true);
  }
}

export { waitFor };

/** Creates a one-partition topic with the given settings, as an operator would before the relay starts. */
export async function createTopic(
  brokers: string[],
  topic: string,
  configEntries: { name: string; value: string }[],
): Promise<void> {
  const admin = new Kafka({
    clientId: 'feed-test-admin',
    brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, configEntries }],
    });
  } finally {
    await admin.disconnect();
  }
}
