/**
 * A relay process killed between sending a batch and committing it: the
 * records are in the log, uncommitted. After a restart, read_committed
 * consumers still see every event exactly once, in order per course.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KafkaRelay, topicsWithSuffix } from '@ipt/analytics-feed';
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

const ROOT = join(__dirname, '..', '..');

/** Runs the relay in a child process until it dies; resolves with how it ended and what it printed. */
function runRelayProcess(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        join(ROOT, 'test/support/kafka-ts-register.js'),
        join(ROOT, 'test/support/kafka-relay-child.ts'),
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describe('relay crash between send and commit', () => {
  const brokers = testBrokers();

  /** Kills a relay process at its `killAt`th produce request, restarts one from the committed checkpoint, and checks the feed. */
  async function crashAndRestart(killAt: number, requestBytes?: number): Promise<void> {
    const temp = tempStore();
    const suffix = uniqueSuffix();
    const topics = topicsWithSuffix(suffix);
    const transactionalId = `relay${suffix}`;
    try {
      const before = Array.from({ length: 40 }, (_, i) => generateCourse(i));
      await appendInterleaved(temp.store, before);
      const batch = 100;

      const crashed = await runRelayProcess({
        RELAY_DB: temp.file,
        KAFKA_BROKERS: brokers.join(','),
        RELAY_TRANSACTIONAL_ID: transactionalId,
        RELAY_TOPIC_SUFFIX: suffix,
        RELAY_BATCH: String(batch),
        RELAY_KILL_AT_PRODUCE: String(killAt),
        ...(requestBytes ? { RELAY_REQUEST_BYTES: String(requestBytes) } : {}),
      });
      if (crashed.signal !== 'SIGKILL') process.stderr.write(crashed.out);
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.out).toContain('killing myself between send and commit');

      // The last batch's records are in the log but not committed: a read_uncommitted reader sees them,
      // a read_committed reader only the batches committed before.
      const uncommitted = await readFeed(brokers, [topics.courseEvents], {
        isolation: 'read_uncommitted',
        done: (ms) => ms.length > 0,
      });
      const committed = await readFeed(brokers, [topics.courseEvents], {
        done: (ms) => ms.length > 0,
      });
      const aborted = uncommitted.length - committed.length;
      expect(committed.length).toBeGreaterThan(0);
      expect(aborted).toBeGreaterThan(0);
      expect(aborted).toBeLessThanOrEqual(batch);
      expect(new Set(parseEvents(committed).map((e) => e.id)).size).toBe(committed.length);

      // Commands go on while no relay runs; then the relay restarts from its committed checkpoint.
      const after = Array.from({ length: 20 }, (_, i) => generateCourse(500 + i, { full: true }));
      await appendInterleaved(temp.store, after);
      const relay = new KafkaRelay({
        store: temp.store,
        brokers,
        transactionalId,
        topics,
        partitions: 3,
        maxBatchEvents: batch,
        logger: memoryLogger(),
      });
      await relay.start();
      try {
        await waitFor(
          async () => (await relay.status()).lag === 0,
          60_000,
          () => 'for the restarted relay to catch up',
        );
        const all = [...before, ...after];
        const total = all.reduce((n, c) => n + eventCount(c), 0);
        expect((await relay.status()).eventsRelayed).toBe(total - committed.length);

        const messages = await readFeed(brokers, [topics.courseEvents], {
          done: (ms) => ms.length >= total,
        });
        assertExactlyOnceInOrder(
          parseEvents(messages),
          new Map(all.map((c) => [c.courseId, c.appends.flat().map((e) => e.eventId)])),
        );
        // The aborted batch is still in the log: only the transaction markers keep it from consumers.
        const raw = await readFeed(brokers, [topics.courseEvents], {
          isolation: 'read_uncommitted',
          done: (ms) => ms.length >= total + aborted,
        });
        expect(raw).toHaveLength(total + aborted);
      } finally {
        await relay.stop();
      }
    } finally {
      await temp.close();
    }
  }

  it('keeps exactly once for read_committed consumers after the relay is killed mid-transaction and restarted', async () => {
    // Produce requests: 1 = the start marker, 2 and 3 = batches committed, 4 = the batch it dies in.
    await crashAndRestart(4);
  });

  it('keeps exactly once when the relay dies between two produce requests of one transaction', async () => {
    // Requests of at most 12 kB: a batch of 100 events (CloudEvents, and snapshots that carry engagement)
    // takes more than 12 (a kill at request 12 left nothing committed), so request 16 falls inside the
    // second transaction, after some of its records were written.
    await crashAndRestart(16, 12_000);
  });
});
