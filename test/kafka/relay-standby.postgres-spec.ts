/**
 * The relay's hot standby, end to end: two relay workers (the built
 * apps/relay) on one embedded store and one PostgreSQL (DATABASE_URL), the
 * first holding the relay's advisory lock, the second waiting for it. Courses
 * are written while the active relay sends them; it is SIGKILLed once part of
 * them is on the feed, and the writing goes on. The standby must take the
 * lock, take over the transactional id (aborting whatever the dead relay left
 * open) and go on from the committed checkpoint: a read_committed consumer then
 * finds every event exactly once, in order per course, those written after
 * the kill too. The takeover time (kill → the standby's first committed batch)
 * is printed; bench/RESULTS.md keeps the figures.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TOPICS } from '@ipt/analytics-feed';
import { SqliteEventStore } from '@ipt/event-store';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import {
  appendRounds,
  eventCount,
  generateCourse,
  type CourseInProgress,
} from '../support/kafka-courses';
import {
  assertExactlyOnceInOrder,
  type FeedMessage,
  parseEvents,
  readFeed,
  testBrokers,
  waitFor,
} from '../support/kafka-feed';
import {
  freePort,
  RELAY_MAIN,
  startLedgerApp,
  tempDataDir,
  type LedgerApp,
} from '../support/ledger-app';

jest.setTimeout(180_000);

/** A relay worker with its operations port (for /metrics). */
interface RelayProcess {
  app: LedgerApp;
  metricsUrl: string;
}

/** One figure from a relay's /metrics (NaN while the relay has none). */
async function metric(relay: RelayProcess, name: string): Promise<number> {
  const text = await (await fetch(relay.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

/** The epoch-ms time of the first pino line of a process whose msg is `msg`. */
function loggedAt(relay: RelayProcess, msg: string): number | undefined {
  for (const line of relay.app.output().split('\n')) {
    if (!line.includes(`"msg":${JSON.stringify(msg)}`)) continue;
    return (JSON.parse(line) as { time?: number }).time;
  }
  return undefined;
}

/** Events of the courses' appends made so far. */
const written = (courses: CourseInProgress[]): number =>
  courses.reduce((n, c) => n + c.course.appends.slice(0, c.step).flat().length, 0);

describe('the relay hot standby', () => {
  let database: TestDatabase;
  let dataDir: string;
  let store: SqliteEventStore;
  const relays: RelayProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = tempDataDir('ipt-relay-standby-');
    // The API's store, written by this process; the relays read it as they would the API's.
    store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.app.stop()));
    await store?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A relay worker on the shared store, lock and transactional id; up once `readyText` is printed. */
  async function startRelay(transactionalId: string, readyText: string): Promise<RelayProcess> {
    const port = await freePort();
    const app = await startLedgerApp({
      dataDir,
      env: {
        DATABASE_URL: database.url,
        KAFKA_BROKERS: testBrokers().join(','),
        RELAY_TRANSACTIONAL_ID: transactionalId,
        RELAY_PORT: String(port),
        LOG_LEVEL: 'info',
      },
      worker: { main: RELAY_MAIN, readyText },
    });
    const relay = { app, metricsUrl: `http://127.0.0.1:${port}/metrics` };
    relays.push(relay);
    return relay;
  }

  it('takes over within seconds when the active relay is SIGKILLed mid-run, and the feed stays exactly once', async () => {
    const transactionalId = `standby-${randomUUID()}`;
    // Three groups of courses: written before the kill, under way across it, begun after it.
    const before: CourseInProgress[] = Array.from({ length: 30 }, (_, i) => ({
      course: generateCourse(i),
      step: 0,
    }));
    const across: CourseInProgress[] = Array.from({ length: 30 }, (_, i) => ({
      course: generateCourse(100 + i, { full: true }),
      step: 0,
    }));
    const after: CourseInProgress[] = Array.from({ length: 20 }, (_, i) => ({
      course: generateCourse(200 + i, { ending: i % 2 ? 'withdrawn' : 'completed' }),
      step: 0,
    }));
    const all = [...before, ...across, ...after].map((c) => c.course);
    const total = all.reduce((n, c) => n + eventCount(c), 0);
    const beforeEvents = before.reduce((n, c) => n + eventCount(c.course), 0);

    const active = await startRelay(transactionalId, 'relay lock held');
    await appendRounds(store, before, Infinity);
    await waitFor(
      () => active.app.output().includes('"msg":"relay running"'),
      30_000,
      () => `the active relay to run:\n${active.app.output()}`,
    );
    // Only now the standby: the lock is taken, so it waits.
    const standby = await startRelay(transactionalId, 'standby: waiting for the relay lock');
    expect(standby.app.output()).not.toContain('relay lock held');

    // Part of the feed is out; courses are under way when the active relay dies.
    await waitFor(
      async () => (await metric(active, 'ipt_relay_events_relayed_total')) >= beforeEvents,
      60_000,
      () => `the active relay to relay the first courses:\n${active.app.output()}`,
    );
    await appendRounds(store, across, 3);
    // The active relay is under way with these courses (some of them committed) when it dies
    // right after more of them were written.
    await waitFor(
      async () => (await metric(active, 'ipt_relay_events_relayed_total')) > beforeEvents,
      60_000,
      () => `the active relay to relay courses under way:\n${active.app.output()}`,
    );
    await appendRounds(store, across, 3);
    const writtenBeforeKill = written([...before, ...across]);
    const relayedBeforeKill = await metric(active, 'ipt_relay_events_relayed_total');
    const killedAt = Date.now();
    await active.app.stop('SIGKILL');

    // The writing goes on: the rest of the courses under way, and new ones.
    await appendRounds(store, [...across, ...after], Infinity);
    expect([...before, ...across, ...after].every((c) => c.step === c.course.appends.length)).toBe(
      true,
    );

    await waitFor(
      async () => (await metric(standby, 'ipt_relay_batches_committed_total')) >= 1,
      30_000,
      () => `the standby to commit a batch:\n${standby.app.output()}`,
    );
    const takeoverMs = Date.now() - killedAt;
    const lockMs = (loggedAt(standby, 'relay lock held: relaying') ?? NaN) - killedAt;
    const runningMs = (loggedAt(standby, 'relay running') ?? NaN) - killedAt;
    process.stderr.write(
      `\n[relay standby] takeover ${takeoverMs} ms from SIGKILL to the standby's first committed batch ` +
        `(lock taken after ${lockMs} ms, transactional id taken over and checkpoint read after ${runningMs} ms); ` +
        `${relayedBeforeKill} of ${total} events were committed by the killed relay\n`,
    );
    expect(takeoverMs).toBeLessThan(30_000);

    // Every event once, in order per course, as a read_committed consumer sees the feed.
    const expected = new Map(all.map((c) => [c.courseId, c.appends.flat().map((e) => e.eventId)]));
    const mine = (messages: FeedMessage[]) => messages.filter((m) => expected.has(m.key));
    const feed = await readFeed(testBrokers(), [DEFAULT_TOPICS.courseEvents], {
      done: (messages) => mine(messages).length >= total,
    });
    assertExactlyOnceInOrder(parseEvents(mine(feed)), expected);
    await waitFor(
      async () => (await metric(standby, 'ipt_relay_lag_positions')) === 0,
      30_000,
      () => `the standby to catch up:\n${standby.app.output()}`,
    );
    // The standby relayed what the killed relay had not committed (it may have committed more after
    // the last scrape), at least everything written after the kill.
    const relayedByStandby = await metric(standby, 'ipt_relay_events_relayed_total');
    expect(relayedByStandby).toBeLessThanOrEqual(total - relayedBeforeKill);
    expect(relayedByStandby).toBeGreaterThanOrEqual(total - writtenBeforeKill);
    expect(await metric(standby, 'ipt_relay_up')).toBe(1);
  });
});
