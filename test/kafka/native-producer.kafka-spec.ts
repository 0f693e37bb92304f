/**
 * The relay's native producer (@confluentinc/kafka-javascript, librdkafka):
 * each course's events land on the partition kafkajs's default partitioner
 * chose for the same key (so switching producers keeps per-course order on an
 * existing topic), exactly once and in order. Skipped where the optional
 * package is not installed: the relay then runs on kafkajs, which the other
 * suites cover.
 */
import { Partitioners } from 'kafkajs';
import { KafkaRelay, loadNativeKafka, topicsWithSuffix } from '@ipt/analytics-feed';
import { appendInterleaved, eventCount, generateCourse } from '../support/kafka-courses';
import {
  assertExactlyOnceInOrder,
  memoryLogger,
  parseEvents,
  readFeed,
  tempStore,
  testBrokers,
  uniqueSuffix,
  waitFor,
} from '../support/kafka-feed';

jest.setTimeout(120_000);

const native = loadNativeKafka() !== null;

(native ? describe : describe.skip)('the relay on the native Kafka producer', () => {
  const brokers = testBrokers();

  it('puts every course on the partition kafkajs picks for its key, exactly once and in order', async () => {
    const temp = tempStore();
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const partitions = 6;
    const relay = new KafkaRelay({
      store: temp.store,
      brokers,
      transactionalId: `relay${suffix}`,
      topics,
      partitions,
      producer: 'native',
      logger: memoryLogger(),
    });
    try {
      const courses = Array.from({ length: 300 }, (_, i) => generateCourse(i));
      const total = courses.reduce((n, c) => n + eventCount(c), 0);
      await appendInterleaved(temp.store, courses);
      await relay.start();
      expect(relay.producer).toBe('native');
      await waitFor(
        async () => (await relay.status()).lag === 0,
        60_000,
        () => 'for the relay to catch up',
      );
      const messages = await readFeed(brokers, [topics.courseEvents, topics.courseOutcomes], {
        done: (ms) =>
          ms.filter((m) => m.topic === topics.courseEvents).length >= total &&
          new Set(ms.filter((m) => m.topic === topics.courseOutcomes).map((m) => m.key)).size >=
            courses.length,
      });
      const events = messages.filter((m) => m.topic === topics.courseEvents);
      assertExactlyOnceInOrder(
        parseEvents(events),
        new Map(courses.map((c) => [c.courseId, c.appends.flat().map((e) => e.eventId)])),
      );

      const partitionOf = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      const used = new Set<number>();
      for (const m of messages) {
        const expected = partitionOf({
          topic: m.topic,
          partitionMetadata,
          message: { key: m.key, value: null },
        });
        expect({ key: m.key, topic: m.topic, partition: m.partition }).toEqual({
          key: m.key,
          topic: m.topic,
          partition: expected,
        });
        used.add(m.partition);
      }
      // 300 keys spread over all six partitions: a partitioner ignoring keys would not match above.
      expect(used.size).toBe(partitions);
    } finally {
      await relay.stop();
      await temp.close();
    }
  });
});
