/**
 * The analytics feed against a real broker: what analytics consumers receive
 * (de-identified, schema-valid CloudEvents), and that they receive all of it,
 * once, in order per course, across relay restarts.
 */
import { Kafka, Partitioners } from 'kafkajs';
import { COURSE_EVENT_TYPES } from '@ipt/course';
import { Registry } from 'prom-client';
import { registerRelayMetrics } from '@ipt/observability';
import {
  cloudEventType,
  KafkaRelay,
  type CommittedTransaction,
  TopicConfigurationError,
  topicsWithSuffix,
} from '@ipt/analytics-feed';
import { feedSchemas } from '../support/kafka-asyncapi';
import {
  appendInterleaved,
  eventCount,
  generateCourse,
  type GeneratedCourse,
} from '../support/kafka-courses';
import {
  assertExactlyOnceInOrder,
  createTopic,
  memoryLogger,
  parseEvents,
  readFeed,
  tempStore,
  testBrokers,
  uniqueSuffix,
  waitFor,
  type FeedMessage,
  type TempStore,
} from '../support/kafka-feed';

jest.setTimeout(120_000);

const ISO_DATE = /\d{4}-\d{2}-\d{2}/;
/** Every event of the courses, and each course's snapshot at its last revision. */
function wholeFeedArrived(
  messages: FeedMessage[],
  topics: { courseEvents: string; courseOutcomes: string },
  courses: GeneratedCourse[],
): boolean {
  const total = courses.reduce((n, c) => n + eventCount(c), 0);
  if (messages.filter((m) => m.topic === topics.courseEvents).length < total) return false;
  return courses.every((c) =>
    messages.some(
      (m) =>
        m.topic === topics.courseOutcomes &&
        m.key === c.courseId &&
        JSON.parse(m.raw.toString()).revision === eventCount(c) - 1,
    ),
  );
}

const expectedIds = (courses: GeneratedCourse[]) =>
  new Map(courses.map((c) => [c.courseId, c.appends.flat().map((e) => e.eventId)]));

describe('analytics feed on a real Kafka broker', () => {
  const brokers = testBrokers();
  let temp: TempStore;
  let relays: KafkaRelay[] = [];

  beforeEach(() => {
    temp = tempStore();
    relays = [];
  });
  afterEach(async () => {
    for (const r of relays) await r.stop();
    await temp.close();
  });

  const relay = (
    suffix: string,
    extra: Partial<ConstructorParameters<typeof KafkaRelay>[0]> = {},
  ) => {
    const r = new KafkaRelay({
      store: temp.store,
      brokers,
      clientId: 'feed-test',
      transactionalId: `relay${suffix}`,
      topics: topicsWithSuffix(suffix),
      partitions: 3,
      logger: memoryLogger(),
      ...extra,
    });
    relays.push(r);
    return r;
  };

  it('delivers every event type as a CloudEvent valid against its AsyncAPI schema, with no patientRef, phi, free text or date in the bytes', async () => {
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const courses = [
      generateCourse(1, { full: true, ending: 'completed' }),
      // The withdrawn course is erased at the end: the feed carries personal-data-erased too.
      generateCourse(2, { full: true, ending: 'withdrawn', erased: true }),
      generateCourse(3, { ending: 'active' }),
    ];
    await appendInterleaved(temp.store, courses);
    await relay(suffix).start();

    const messages = await readFeed(brokers, [topics.courseEvents, topics.courseOutcomes], {
      done: (ms) => wholeFeedArrived(ms, topics, courses),
    });
    const schemas = feedSchemas();
    const events = messages.filter((m) => m.topic === topics.courseEvents);
    const snapshots = messages.filter((m) => m.topic === topics.courseOutcomes);
    const secrets = courses.flatMap((c) => c.secrets);
    const times = courses.flatMap((c) => c.times);

    for (const m of [...events, ...snapshots]) {
      const text = m.raw.toString('utf8');
      expect(text).not.toMatch(ISO_DATE);
      expect(text).not.toContain('"phi"');
      expect(text).not.toContain('patientRef');
      for (const s of [...secrets, ...times]) expect(text).not.toContain(s);
    }
    for (const m of events) {
      expect(m.headers['content-type']?.toString()).toBe('application/cloudevents+json');
      const ce = JSON.parse(m.raw.toString('utf8'));
      expect(schemas.cloudEvent(ce)).toEqual([]);
      expect(ce).not.toHaveProperty('time');
      expect(ce.source).toBe('/clinics/clinic-analytics-test');
    }
    for (const m of snapshots)
      expect(schemas.snapshot(JSON.parse(m.raw.toString('utf8')))).toEqual([]);
    expect(new Set(parseEvents(events).map((e) => e.type))).toEqual(
      new Set(COURSE_EVENT_TYPES.map(cloudEventType)),
    );
    assertExactlyOnceInOrder(parseEvents(events), expectedIds(courses));

    // The latest snapshot per course reflects the whole course.
    const latest = new Map(snapshots.map((m) => [m.key, JSON.parse(m.raw.toString('utf8'))]));
    expect(latest.get(courses[0].courseId)).toMatchObject({
      completion: { status: 'completed', sessionsHeld: 12 },
    });
    expect(latest.get(courses[1].courseId)).toMatchObject({
      completion: { status: 'withdrawn', withdrawalReason: 'moved' },
    });
    expect(latest.get(courses[2].courseId)).toMatchObject({ completion: { status: 'active' } });
  });

  it('delivers a generated run of many courses once each, in revision order per course, across a restart and live appends', async () => {
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const first = Array.from({ length: 120 }, (_, i) =>
      generateCourse(i, { ending: i % 5 === 0 ? 'withdrawn' : 'completed' }),
    );
    const second = Array.from({ length: 80 }, (_, i) =>
      generateCourse(1000 + i, { full: i % 4 === 0 }),
    );
    await appendInterleaved(temp.store, first.slice(0, 60));

    const a = relay(suffix, { maxBatchEvents: 250 });
    await a.start();
    // Live appends while the relay runs.
    await appendInterleaved(temp.store, first.slice(60));
    await waitFor(
      async () => (await a.status()).lag === 0,
      60_000,
      () => 'for the relay to catch up',
    );
    const afterFirst = await a.status();
    expect(afterFirst).toMatchObject({
      state: 'running',
      lag: 0,
      eventsRelayed: first.reduce((n, c) => n + eventCount(c), 0),
    });
    await a.stop();
    expect((await a.status()).state).toBe('stopped');

    // Written while no relay runs; a new relay resumes from the committed checkpoint.
    await appendInterleaved(temp.store, second);
    const b = relay(suffix, { maxBatchEvents: 250 });
    const registry = new Registry();
    registerRelayMetrics(registry, b);
    const transactions: CommittedTransaction[] = [];
    b.onCommitted((t) => transactions.push(t));
    await b.start();
    const all = [...first, ...second];
    const total = all.reduce((n, c) => n + eventCount(c), 0);
    await waitFor(
      async () => (await b.status()).lag === 0,
      60_000,
      () => 'for the second relay to catch up',
    );
    expect((await b.status()).eventsRelayed).toBe(second.reduce((n, c) => n + eventCount(c), 0));

    const messages = await readFeed(brokers, [topics.courseEvents], {
      done: (ms) => ms.length >= total,
    });
    assertExactlyOnceInOrder(parseEvents(messages), expectedIds(all));

    // Each committed transaction is told once, in log order, with its time.
    const status = await b.status();
    expect(transactions).toHaveLength(status.batchesCommitted);
    expect(transactions.reduce((n, t) => n + t.events, 0)).toBe(status.eventsRelayed);
    for (const [i, t] of transactions.entries()) {
      expect(t.first <= t.last && t.seconds > 0).toBe(true);
      if (i > 0) expect(t.first > transactions[i - 1].last).toBe(true);
    }
    expect(transactions[transactions.length - 1].last.toString()).toBe(status.checkpoint);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(
      new RegExp(`^ipt_relay_transaction_seconds_count ${status.batchesCommitted}$`, 'm'),
    );
    expect(metrics).toMatch(/^ipt_relay_state\{state="running"\} 1$/m);
    expect(metrics).toMatch(/^ipt_relay_lag_positions 0$/m);
    expect(metrics).toMatch(/^ipt_relay_events_relayed_total \d+$/m);
    expect(metrics).toMatch(/^ipt_relay_batches_committed_total \d+$/m);
  });

  it("splits a large transaction into several bounded produce requests: every event once and in order, one snapshot per course per transaction, on the default partitioner's partitions", async () => {
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const courses = Array.from({ length: 60 }, (_, i) =>
      generateCourse(i, { full: i % 3 === 0, ending: i % 2 ? 'completed' : 'withdrawn' }),
    );
    const total = courses.reduce((n, c) => n + eventCount(c), 0);
    await appendInterleaved(temp.store, courses);

    // Count the produce requests the relay's producer sends (instrumentation events, from outside the relay).
    let produceRequests = 0;
    const producer = Kafka.prototype.producer;
    const spy = jest.spyOn(Kafka.prototype, 'producer').mockImplementation(function (
      this: Kafka,
      ...args: Parameters<Kafka['producer']>
    ) {
      const p = producer.apply(this, args);
      p.on(p.events.REQUEST, (e) => {
        if ((e.payload as { apiName?: string }).apiName === 'Produce') produceRequests++;
      });
      return p;
    });
    // kafkajs's requests are what is counted: the native producer batches records itself.
    const r = relay(suffix, { maxBatchEvents: 5000, maxRequestBytes: 16_000, producer: 'kafkajs' });
    try {
      await r.start();
      await waitFor(
        async () => (await r.status()).lag === 0,
        60_000,
        () => 'for the relay to catch up',
      );
    } finally {
      spy.mockRestore();
    }
    const status = await r.status();
    expect(status.eventsRelayed).toBe(total);
    // Far more requests than transactions (one is the start marker's).
    expect(produceRequests - 1).toBeGreaterThan(3 * status.batchesCommitted);

    const messages = await readFeed(brokers, [topics.courseEvents, topics.courseOutcomes], {
      done: (ms) => wholeFeedArrived(ms, topics, courses),
    });
    const events = messages.filter((m) => m.topic === topics.courseEvents);
    assertExactlyOnceInOrder(parseEvents(events), expectedIds(courses));

    // Snapshots: in revision order per course, at most one per course per transaction, the last one the whole course.
    const snapshots = messages.filter((m) => m.topic === topics.courseOutcomes);
    expect(snapshots.length).toBeLessThanOrEqual(courses.length * status.batchesCommitted);
    for (const c of courses) {
      const revisions = snapshots
        .filter((m) => m.key === c.courseId)
        .map((m) => (JSON.parse(m.raw.toString()) as { revision: number }).revision);
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(new Set(revisions).size).toBe(revisions.length);
      expect(revisions[revisions.length - 1]).toBe(eventCount(c) - 1);
    }

    // Keys land where kafkajs's default (Java-compatible murmur2) partitioner puts them.
    const partitionOf = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    for (const m of messages)
      expect(m.partition).toBe(
        partitionOf({ topic: m.topic, partitionMetadata, message: { key: m.key, value: null } }),
      );
  });

  it('relays smaller batches when the broker refuses one as too large, and loses nothing', async () => {
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    // A small max.message.bytes: 500 events with their snapshots cannot fit in one record batch.
    await createTopic(brokers, topics.courseOutcomes, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'max.message.bytes', value: '32768' },
    ]);
    const courses = Array.from({ length: 40 }, (_, i) => generateCourse(i));
    await appendInterleaved(temp.store, courses);
    const r = relay(suffix, {
      maxBatchEvents: 500,
      compression: 'none',
      backoff: { initialMs: 50, maxMs: 200 },
    });
    await r.start();
    await waitFor(
      async () => (await r.status()).lag === 0,
      60_000,
      () => 'for the relay to catch up',
    );
    const status = await r.status();
    expect(status.state).toBe('running');
    expect(status.errors).toBeGreaterThan(0);
    const total = courses.reduce((n, c) => n + eventCount(c), 0);
    const messages = await readFeed(brokers, [topics.courseEvents], {
      done: (ms) => ms.length >= total,
    });
    assertExactlyOnceInOrder(parseEvents(messages), expectedIds(courses));
  });

  it('refuses to run on an existing topic whose cleanup policy conflicts, and says so', async () => {
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    await createTopic(brokers, topics.courseOutcomes, [
      { name: 'cleanup.policy', value: 'delete' },
    ]);
    const r = relay(suffix);
    await expect(r.start()).rejects.toThrow(TopicConfigurationError);
    const status = await r.status();
    expect(status.state).toBe('stopped');
    expect(status.lastError).toContain(`${topics.courseOutcomes} has cleanup.policy=delete`);
  });
});
