/**
 * The broker goes away while commands keep coming: the store keeps accepting
 * them, the relay reports itself degraded and retries; when the broker is back
 * (same data) it catches up, and nothing is lost or doubled.
 *
 * This suite stops a broker, so it runs its own (never the shared one).
 */
import { KafkaRelay, topicsWithSuffix } from '@ipt/analytics-feed';
import { relayMetricsText } from '@ipt/observability';
import { freePort } from '../support/kafka-global-setup';
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

import * as broker from '../../infra/kafka/broker';

jest.setTimeout(180_000);

describe('broker outage', () => {
  testBrokers(); // the suite belongs to the Kafka run (fails clearly outside it)

  it('keeps accepting commands, reports degraded, then catches up with nothing lost when the broker returns', async () => {
    const port = await freePort();
    const controllerPort = await freePort();
    const { bootstrap } = await broker.startBroker({ port, controllerPort });
    const temp = tempStore();
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const relay = new KafkaRelay({
      store: temp.store,
      brokers: [bootstrap],
      transactionalId: `relay${suffix}`,
      topics,
      partitions: 3,
      backoff: { initialMs: 200, maxMs: 1000 },
      logger: memoryLogger(),
    });
    try {
      const before = Array.from({ length: 20 }, (_, i) => generateCourse(i));
      await appendInterleaved(temp.store, before);
      await relay.start();
      await waitFor(
        async () => (await relay.status()).lag === 0,
        60_000,
        () => 'for the relay to catch up',
      );

      await broker.stopBroker({ port });
      // Commands keep being recorded while Kafka is away.
      const during = Array.from({ length: 20 }, (_, i) => generateCourse(100 + i, { full: true }));
      const t0 = Date.now();
      await appendInterleaved(temp.store, during);
      expect(Date.now() - t0).toBeLessThan(5000);

      await waitFor(
        async () => (await relay.status()).state === 'degraded',
        60_000,
        () => 'for the relay to report the outage',
      );
      const down = await relay.status();
      expect(down.lag).toBeGreaterThan(0);
      expect(down.lastError).toBeTruthy();
      expect(await relayMetricsText(relay)).toMatch(/^ipt_relay_up 0$/m);

      await broker.startBroker({ port, controllerPort, fresh: false });
      await waitFor(
        async () => {
          const s = await relay.status();
          return s.state === 'running' && s.lag === 0;
        },
        90_000,
        () => 'for the relay to catch up after the outage',
      );

      const all = [...before, ...during];
      const total = all.reduce((n, c) => n + c.appends.flat().length, 0);
      const messages = await readFeed([bootstrap], [topics.courseEvents], {
        done: (ms) => ms.length >= total,
      });
      assertExactlyOnceInOrder(
        parseEvents(messages),
        new Map(all.map((c) => [c.courseId, c.appends.flat().map((e) => e.eventId)])),
      );
    } finally {
      await relay.stop();
      await temp.close();
      await broker.stopBroker({ port, removeData: true });
    }
  });
});
