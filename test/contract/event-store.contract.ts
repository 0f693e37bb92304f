/**
 * The event-store contract: what every adapter of the port must do. Each
 * adapter's `*.contract-spec.ts` calls `describeEventStoreContract` with a
 * factory.
 *
 * Every test writes only to streams named with its own random id, and looks at
 * the global log only through those streams (or a prefix unique to the test),
 * so the suite also runs against a shared, non-empty EventStoreDB server.
 */
import { randomUUID } from 'node:crypto';
import {
  eventsUntilCaughtUp,
  nextEvent,
  nextMessage,
  withTimeout,
} from '../support/subscription-reading';
import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
  StoreSubscription,
  SubscriptionMessage,
  WrongExpectedRevisionError,
} from '@ipt/event-store';

export interface EventStoreContractFactory {
  /** Called before each test; the suite closes the store after the test. */
  create(): Promise<EventStore>;
  /** Optional, before each `create()`: e.g. empty a test server. Not needed for isolation. */
  reset?(): Promise<void>;
  /** Optional, once after the suite: stop servers, remove temporary files. */
  teardown?(): Promise<void>;
}

export function describeEventStoreContract(name: string, factory: EventStoreContractFactory): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    /** Unique per test: stream ids and prefixes no other test (or earlier run) uses. */
    let run: string;
    const courseStream = (suffix = 'a') => `t${run}-course-${suffix}`;
    const auditStream = (suffix = 'a') => `t${run}-audit-${suffix}`;
    const coursePrefix = () => `t${run}-course-`;
    const testPrefix = () => `t${run}-`;

    beforeEach(async () => {
      run = randomUUID().replace(/-/g, '').slice(0, 12);
      await factory.reset?.();
      store = await factory.create();
    });

    afterEach(async () => {
      await store.close();
    });

    afterAll(async () => {
      await factory.teardown?.();
    });

    const append = (
      streamId: string,
      events: EventToAppend[],
      expectedRevision: ExpectedRevision,
    ) => store.appendToStream(streamId, events, { expectedRevision });

    describe('appending', () => {
      it('numbers revisions from 0 and counts up across appends', async () => {
        const stream = courseStream();
        expect((await append(stream, [courseEvent()], 'any')).nextExpectedRevision).toBe(0);
        expect(
          (await append(stream, [courseEvent(), courseEvent()], 'any')).nextExpectedRevision,
        ).toBe(2);

        const recorded = await store.readStream(stream);
        expect(recorded.map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('records the stream, id, type, data and metadata as given, with a creation time', async () => {
        const stream = courseStream();
        const proposed = courseEvent('SessionRecorded', {
          session: 3,
          notes: ['a', 'b'],
          nested: { ok: true },
        });
        proposed.metadata = { correlationId: randomUUID(), actor: 'therapist-7' };
        const before = Date.now();
        await append(stream, [proposed], 'no_stream');

        const [recorded] = await store.readStream(stream);
        expect(recorded).toMatchObject({
          streamId: stream,
          revision: 0,
          eventId: proposed.eventId,
          type: 'SessionRecorded',
          data: proposed.data,
          metadata: proposed.metadata,
        });
        expect(typeof recorded.position).toBe('bigint');
        expect(recorded.created).toBeInstanceOf(Date);
        // The store's clock, not ours: allow a generous skew.
        expect(Math.abs(recorded.created.getTime() - before)).toBeLessThan(5 * 60_000);
      });

      it('appends several events atomically, with consecutive revisions and growing positions', async () => {
        const stream = courseStream();
        const events = [courseEvent(), courseEvent(), courseEvent()];
        const result = await append(stream, events, 'no_stream');

        const recorded = await store.readStream(stream);
        expect(recorded.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
        expect(recorded.map((e) => e.revision)).toEqual([0, 1, 2]);
        expectStrictlyIncreasing(recorded.map((e) => e.position));
        expect(result).toEqual({ nextExpectedRevision: 2, position: recorded[2].position });
      });

      it('writes none of the events of an append that is refused', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent()], 'no_stream');

        await expectWrongRevision(append(stream, [courseEvent(), courseEvent()], 5), stream, 0);
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });

    describe('expected revision', () => {
      it('any: appends to a new stream and to an existing one', async () => {
        const stream = courseStream();
        expect((await append(stream, [courseEvent()], 'any')).nextExpectedRevision).toBe(0);
        expect((await append(stream, [courseEvent()], 'any')).nextExpectedRevision).toBe(1);
      });

      it('no_stream: appends to a new stream', async () => {
        expect(
          (await append(courseStream(), [courseEvent()], 'no_stream')).nextExpectedRevision,
        ).toBe(0);
      });

      it('no_stream: refuses an existing stream, reporting its last revision', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent(), courseEvent()], 'no_stream');
        await expectWrongRevision(append(stream, [courseEvent()], 'no_stream'), stream, 1);
      });

      it('stream_exists: refuses a new stream, reporting no_stream', async () => {
        const stream = courseStream();
        await expectWrongRevision(
          append(stream, [courseEvent()], 'stream_exists'),
          stream,
          'no_stream',
        );
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('stream_exists: appends to an existing stream', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent()], 'no_stream');
        expect((await append(stream, [courseEvent()], 'stream_exists')).nextExpectedRevision).toBe(
          1,
        );
      });

      it('exact: appends when the last revision matches', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent(), courseEvent()], 'no_stream');
        expect((await append(stream, [courseEvent()], 1)).nextExpectedRevision).toBe(2);
        expect((await append(stream, [courseEvent()], 2)).nextExpectedRevision).toBe(3);
      });

      it('exact: refuses a stale revision, reporting the actual one', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent(), courseEvent(), courseEvent()], 'no_stream');
        const error = await expectWrongRevision(append(stream, [courseEvent()], 1), stream, 2);
        expect(error.expected).toBe(1);
        expect(error.code).toBe('wrong_expected_revision');
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('exact: refuses a revision the stream has not reached', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent()], 'no_stream');
        await expectWrongRevision(append(stream, [courseEvent()], 4), stream, 0);
      });

      it('exact: refuses a missing stream, reporting no_stream', async () => {
        const stream = courseStream();
        await expectWrongRevision(append(stream, [courseEvent()], 0), stream, 'no_stream');
      });
    });

    describe('idempotent re-append by event id', () => {
      it('no_stream: the same events again return the same result and write nothing', async () => {
        const stream = courseStream();
        const events = [courseEvent(), courseEvent()];
        const first = await append(stream, events, 'no_stream');
        const again = await append(stream, events, 'no_stream');

        expect(again).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('exact: the same events at the same expected revision return the same result', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent()], 'no_stream');
        const events = [courseEvent(), courseEvent()];
        const first = await append(stream, events, 0);
        // Even after the stream moved on, a retry finds its own events right after revision 0.
        await append(stream, [courseEvent()], 2);
        const again = await append(stream, events, 0);

        expect(again).toEqual(first);
        expect(first.nextExpectedRevision).toBe(2);
        expect(await store.readStream(stream)).toHaveLength(4);
      });

      it('any: events already stored in the stream are not stored twice', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent()], 'any');
        const events = [courseEvent(), courseEvent()];
        const first = await append(stream, events, 'any');
        const again = await append(stream, events, 'any');

        expect(again).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('a partial match is refused as a wrong expected revision', async () => {
        const stream = courseStream();
        const [a, b] = [courseEvent(), courseEvent()];
        await append(stream, [a, b], 'no_stream');

        await expectWrongRevision(append(stream, [a, courseEvent()], 'no_stream'), stream, 1);
        expect((await store.readStream(stream)).map((e) => e.eventId)).toEqual([
          a.eventId,
          b.eventId,
        ]);
      });
    });

    describe('reading a stream', () => {
      let stream: string;
      let ids: string[];

      beforeEach(async () => {
        stream = courseStream();
        const events = Array.from({ length: 5 }, () => courseEvent());
        ids = events.map((e) => e.eventId);
        await append(stream, events, 'no_stream');
      });

      it('reads forwards from the first event by default', async () => {
        expect((await store.readStream(stream)).map((e) => e.eventId)).toEqual(ids);
        expect(
          (await store.readStream(stream, { direction: 'forwards' })).map((e) => e.revision),
        ).toEqual([0, 1, 2, 3, 4]);
      });

      it('reads forwards from a revision (inclusive), at most maxCount events', async () => {
        expect(
          (await store.readStream(stream, { fromRevision: 2 })).map((e) => e.revision),
        ).toEqual([2, 3, 4]);
        expect(
          (await store.readStream(stream, { fromRevision: 1, maxCount: 2 })).map((e) => e.revision),
        ).toEqual([1, 2]);
        expect(await store.readStream(stream, { fromRevision: 5 })).toEqual([]);
      });

      it('reads backwards from the last event by default', async () => {
        const recorded = await store.readStream(stream, { direction: 'backwards' });
        expect(recorded.map((e) => e.eventId)).toEqual([...ids].reverse());
      });

      it('reads backwards from a revision (inclusive), at most maxCount events', async () => {
        const recorded = await store.readStream(stream, {
          direction: 'backwards',
          fromRevision: 3,
          maxCount: 2,
        });
        expect(recorded.map((e) => e.revision)).toEqual([3, 2]);
        const last = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
        expect(last.map((e) => e.revision)).toEqual([4]);
      });

      it('reads a missing stream as empty, in either direction', async () => {
        const missing = courseStream('missing');
        expect(await store.readStream(missing)).toEqual([]);
        expect(await store.readStream(missing, { direction: 'backwards' })).toEqual([]);
      });
    });

    describe('the global log', () => {
      /** Appends to interleaved streams one at a time; returns what each append reported, in order. */
      async function writeInterleaved() {
        const plan = [
          courseStream('a'),
          auditStream('a'),
          courseStream('b'),
          courseStream('a'),
          auditStream('a'),
        ];
        const written: { streamId: string; eventId: string; result: AppendResult }[] = [];
        for (const streamId of plan) {
          const event = courseEvent();
          written.push({
            streamId,
            eventId: event.eventId,
            result: await append(streamId, [event], 'any'),
          });
        }
        return written;
      }
      const ours = (events: RecordedEvent[]) =>
        events.filter((e) => e.streamId.startsWith(testPrefix()));

      it('orders every stream’s events by strictly increasing position, in append order', async () => {
        const written = await writeInterleaved();
        expectStrictlyIncreasing(written.map((w) => w.result.position));

        const log = ours(await store.readAll({ fromPosition: written[0].result.position }));
        expect(log.map((e) => e.eventId)).toEqual(written.map((w) => w.eventId));
        expect(log.map((e) => e.position)).toEqual(written.map((w) => w.result.position));
        expect(log.map((e) => e.streamId)).toEqual(written.map((w) => w.streamId));
      });

      it('reads forwards from a position, inclusive, at most maxCount events', async () => {
        const written = await writeInterleaved();
        const page = await store.readAll({ fromPosition: written[2].result.position, maxCount: 1 });
        expect(page.map((e) => e.eventId)).toEqual([written[2].eventId]);
      });

      it('reads backwards from a position, inclusive', async () => {
        const written = await writeInterleaved();
        const log = ours(
          await store.readAll({ direction: 'backwards', fromPosition: written[3].result.position }),
        );
        expect(log.slice(0, 4).map((e) => e.eventId)).toEqual(
          written
            .slice(0, 4)
            .reverse()
            .map((w) => w.eventId),
        );
        expectStrictlyIncreasing(log.map((e) => e.position).reverse());
      });

      it('reads backwards from the end by default', async () => {
        const written = await writeInterleaved();
        const [latest] = await store.readAll({ direction: 'backwards', maxCount: 1 });
        expect(latest.position >= written[written.length - 1].result.position).toBe(true);
      });

      it('filters by stream prefix', async () => {
        const written = await writeInterleaved();
        const from = written[0].result.position;

        const courses = await store.readAll({
          fromPosition: from,
          streamPrefixes: [coursePrefix()],
        });
        const expected = written.filter((w) => w.streamId.startsWith(coursePrefix()));
        expect(courses.map((e) => e.eventId)).toEqual(expected.map((w) => w.eventId));

        const both = await store.readAll({
          fromPosition: from,
          streamPrefixes: [coursePrefix(), `t${run}-audit-`],
        });
        expect(both.map((e) => e.eventId)).toEqual(written.map((w) => w.eventId));

        const backwards = await store.readAll({
          direction: 'backwards',
          streamPrefixes: [`t${run}-audit-`],
        });
        expect(backwards.map((e) => e.streamId)).toEqual([auditStream('a'), auditStream('a')]);
      });

      it('reports its head position, and answers ping', async () => {
        const written = await writeInterleaved();
        const head = await store.headPosition();
        expect(head).not.toBeNull();
        expect(head! >= written[written.length - 1].result.position).toBe(true);
        expect(await store.ping()).toBe(true);
      });
    });

    describe('catch-up subscription to the global log', () => {
      let subscription: StoreSubscription | undefined;

      afterEach(async () => {
        await subscription?.close();
        subscription = undefined;
      });

      it('delivers stored events from the start, then caught_up, then live events, until closed', async () => {
        const stored = [courseEvent(), courseEvent()];
        await append(courseStream('a'), stored.slice(0, 1), 'no_stream');
        await append(courseStream('b'), stored.slice(1), 'no_stream');

        subscription = store.subscribeToAll({ streamPrefixes: [coursePrefix()] });
        const messages = subscription[Symbol.asyncIterator]();
        expect(await eventIdsUntilCaughtUp(messages)).toEqual(stored.map((e) => e.eventId));

        const live = [courseEvent(), courseEvent()];
        await append(courseStream('a'), [live[0]], 0);
        await append(courseStream('c'), [live[1]], 'no_stream');
        expect((await nextEvent(messages)).eventId).toBe(live[0].eventId);
        const second = await nextEvent(messages);
        expect(second).toMatchObject({
          eventId: live[1].eventId,
          streamId: courseStream('c'),
          revision: 0,
        });

        await subscription.close();
        expect(await withTimeout(messages.next())).toEqual({ done: true, value: undefined });
      });

      it('starts strictly after a checkpoint position', async () => {
        const events = [courseEvent(), courseEvent(), courseEvent()];
        const results: AppendResult[] = [];
        for (const [i, event] of events.entries()) {
          results.push(await append(courseStream(), [event], i === 0 ? 'no_stream' : i - 1));
        }

        subscription = store.subscribeToAll({
          afterPosition: results[0].position,
          streamPrefixes: [testPrefix()],
        });
        const messages = subscription[Symbol.asyncIterator]();
        expect(await eventIdsUntilCaughtUp(messages)).toEqual([
          events[1].eventId,
          events[2].eventId,
        ]);
      });

      it('delivers the positions the log holds, and only streams matching the filter', async () => {
        const course = courseEvent();
        const audit = courseEvent('AuditRecorded');
        const start = await append(auditStream(), [courseEvent('AuditRecorded')], 'no_stream');
        await append(courseStream(), [course], 'no_stream');
        await append(auditStream(), [audit], 0);

        // Without a filter: everything after the checkpoint, other writers' events included.
        subscription = store.subscribeToAll({ afterPosition: start.position });
        const all = (await eventsUntilCaughtUp(subscription[Symbol.asyncIterator]())).filter((e) =>
          e.streamId.startsWith(testPrefix()),
        );
        expect(all.map((e) => e.eventId)).toEqual([course.eventId, audit.eventId]);
        const log = await store.readAll({ fromPosition: all[0].position, maxCount: 1 });
        expect(log[0]).toEqual(all[0]);
        await subscription.close();

        subscription = store.subscribeToAll({
          afterPosition: start.position,
          streamPrefixes: [coursePrefix()],
        });
        expect(await eventIdsUntilCaughtUp(subscription[Symbol.asyncIterator]())).toEqual([
          course.eventId,
        ]);
      });

      it('sends caught_up once, even when nothing is stored yet for the filter', async () => {
        subscription = store.subscribeToAll({ streamPrefixes: [testPrefix()] });
        const messages = subscription[Symbol.asyncIterator]();
        expect(await eventIdsUntilCaughtUp(messages)).toEqual([]);

        const events = Array.from({ length: 3 }, () => courseEvent());
        await append(courseStream(), events, 'no_stream');
        const delivered: SubscriptionMessage[] = [];
        for (let i = 0; i < events.length; i++) delivered.push(await nextMessage(messages));
        expect(delivered.map((m) => m.kind)).toEqual(['event', 'event', 'event']);
      });

      it('close() ends an iteration that is waiting for live events', async () => {
        subscription = store.subscribeToAll({ streamPrefixes: [testPrefix()] });
        const messages = subscription[Symbol.asyncIterator]();
        await eventIdsUntilCaughtUp(messages);

        const waiting = messages.next();
        await subscription.close();
        expect(await withTimeout(waiting)).toEqual({ done: true, value: undefined });
      });

      it('ends a for-await loop when the consumer breaks out', async () => {
        await append(courseStream(), [courseEvent(), courseEvent()], 'no_stream');
        subscription = store.subscribeToAll({ streamPrefixes: [testPrefix()] });
        let seen = 0;
        for await (const message of subscription) {
          if (message.kind === 'event') seen += 1;
          if (seen === 1) break;
        }
        expect(seen).toBe(1);
      });
    });

    describe('concurrent writers', () => {
      it('of appends to one stream at the same expected revision, exactly one wins', async () => {
        const stream = courseStream();
        await append(stream, [courseEvent()], 'no_stream');

        const contenders = Array.from({ length: 8 }, () => courseEvent());
        const outcomes = await Promise.allSettled(
          contenders.map((event) => append(stream, [event], 0)),
        );

        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
            expect((outcome.reason as WrongExpectedRevisionError).actual).toBe(1);
          }
        }
        const recorded = await store.readStream(stream);
        expect(recorded).toHaveLength(2);
        const winner = contenders[outcomes.findIndex((o) => o.status === 'fulfilled')];
        expect(recorded[1].eventId).toBe(winner.eventId);
      });

      it('of appends to different streams, all land', async () => {
        const streams = Array.from({ length: 10 }, (_, i) => courseStream(String(i)));
        const results = await Promise.all(
          streams.map((stream) => append(stream, [courseEvent()], 'no_stream')),
        );
        expect(results.every((r) => r.nextExpectedRevision === 0)).toBe(true);
        expect(new Set(results.map((r) => r.position)).size).toBe(streams.length);
      });
    });
  });
}

export function courseEvent(
  type = 'CourseOpened',
  data: Record<string, unknown> = {},
): EventToAppend {
  return { eventId: randomUUID(), type, data: { ...data }, metadata: {} };
}

async function expectWrongRevision(
  attempt: Promise<unknown>,
  streamId: string,
  actual: number | 'no_stream',
): Promise<WrongExpectedRevisionError> {
  const error = await attempt.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  const wrong = error as WrongExpectedRevisionError;
  expect(wrong.streamId).toBe(streamId);
  expect(wrong.actual).toBe(actual);
  return wrong;
}

function expectStrictlyIncreasing(positions: bigint[]): void {
  for (let i = 1; i < positions.length; i++) {
    expect(positions[i] > positions[i - 1]).toBe(true);
  }
}

async function eventIdsUntilCaughtUp(
  messages: AsyncIterator<SubscriptionMessage>,
): Promise<string[]> {
  return (await eventsUntilCaughtUp(messages)).map((e) => e.eventId);
}
