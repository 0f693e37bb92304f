/**
 * Two relays with the same transactional id: the second fences the first,
 * which notices at its next transaction and stops (reporting `fenced`)
 * instead of retrying; the feed still has every event exactly once.
 */
import { KafkaRelay, topicsWithSuffix } from '@ipt/analytics-feed';
import { relayMetricsText } from '@ipt/observability';
import { appendInterleaved, generateCourse } from '../support/kafka-courses';
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

describe('relay fencing', () => {
  const brokers = testBrokers();

  it('a second relay with the same transactional id fences the first, which stops and reports it', async () => {
    const temp = tempStore();
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const options = {
      store: temp.store,
      brokers,
      transactionalId: `relay${suffix}`,
      topics,
      partitions: 3,
      maxBatchEvents: 200,
    };
    const first = new KafkaRelay({ ...options, clientId: 'relay-first', logger: memoryLogger() });
    const second = new KafkaRelay({ ...options, clientId: 'relay-second', logger: memoryLogger() });
    try {
      const before = Array.from({ length: 30 }, (_, i) => generateCourse(i));
      await appendInterleaved(temp.store, before);
      await first.start();
      await waitFor(
        async () => (await first.status()).lag === 0,
        60_000,
        () => 'for the first relay to catch up',
      );

      await second.start();
      expect((await second.status()).state).toBe('running');

      // Both see these events; only the second may commit them.
      const after = Array.from({ length: 30 }, (_, i) => generateCourse(100 + i));
      await appendInterleaved(temp.store, after);
      await waitFor(
        async () => (await first.status()).state === 'stopped',
        60_000,
        () => 'for the first relay to notice it was fenced',
      );
      const fenced = await first.status();
      expect(fenced.fenced).toBe(true);
      expect(fenced.lastError).toMatch(/epoch|fenced/i);
      expect(await relayMetricsText(first)).toMatch(/^ipt_relay_fenced 1$/m);

      await waitFor(
        async () => (await second.status()).lag === 0,
        60_000,
        () => 'for the second relay to catch up',
      );
      expect((await second.status()).state).toBe('running');
      const all = [...before, ...after];
      const total = all.reduce((n, c) => n + c.appends.flat().length, 0);
      const messages = await readFeed(brokers, [topics.courseEvents], {
        done: (ms) => ms.length >= total,
      });
      assertExactlyOnceInOrder(
        parseEvents(messages),
        new Map(all.map((c) => [c.courseId, c.appends.flat().map((e) => e.eventId)])),
      );
    } finally {
      await first.stop();
      await second.stop();
      await temp.close();
    }
  });
});
