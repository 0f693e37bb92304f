/**
 * What only the embedded store promises beyond the contract: group commit,
 * paging subscriptions, several connections on one file, and closing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppendResult,
  DuplicateEventIdError,
  EventToAppend,
  StoreUnavailableError,
  SubscriptionMessage,
  SqliteEventStore,
  WrongExpectedRevisionError,
} from '@ipt/event-store';

const sessionEvent = (session = 1): EventToAppend => ({
  eventId: randomUUID(),
  type: 'SessionRecorded',
  data: { session },
  metadata: {},
});

describe('embedded SQLite event store', () => {
  let directory: string;
  let file: string;
  const opened: SqliteEventStore[] = [];
  const open = (options?: ConstructorParameters<typeof SqliteEventStore>[1]) => {
    const store = new SqliteEventStore(file, options);
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ipt-event-store-embedded-'));
    file = join(directory, 'events.sqlite');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    rmSync(directory, { recursive: true, force: true });
  });

  describe('group commit', () => {
    it('lands many concurrent appends to many streams; one wrong expected revision fails alone', async () => {
      const store = open({ maxAppendsPerCommit: 64 });
      const streams = Array.from({ length: 50 }, (_, i) => `course-${i}`);
      // All issued in one tick: each stream's appends chain on the revisions earlier ones in the batch produce.
      const appends: { streamId: string; attempt: Promise<AppendResult> }[] = [];
      for (let revision = -1; revision < 9; revision++) {
        for (const streamId of streams) {
          const expectedRevision = revision < 0 ? 'no_stream' : revision;
          appends.push({
            streamId,
            attempt: store.appendToStream(streamId, [sessionEvent()], { expectedRevision }),
          });
        }
      }
      // A stale writer in the middle of the batch: it alone must fail.
      const stale = store.appendToStream('course-7', [sessionEvent()], { expectedRevision: 3 });
      for (const streamId of streams) {
        appends.push({
          streamId,
          attempt: store.appendToStream(streamId, [sessionEvent()], { expectedRevision: 'any' }),
        });
      }

      const [staleOutcome, ...outcomes] = await Promise.allSettled([
        stale,
        ...appends.map((a) => a.attempt),
      ]);
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(staleOutcome.status === 'rejected' && staleOutcome.reason).toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      expect(staleOutcome.status === 'rejected' && staleOutcome.reason.actual).toBe(9);

      for (const streamId of streams) {
        const events = await store.readStream(streamId);
        expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      }
      const positions = (await store.readAll()).map((e) => e.position);
      expect(positions).toHaveLength(550);
      expect(new Set(positions).size).toBe(550);
    });

    it('undoes only the failing multi-event append of a batch', async () => {
      const store = open();
      const taken = sessionEvent();
      await store.appendToStream('course-audit', [taken], { expectedRevision: 'no_stream' });

      const before = store.appendToStream('course-a', [sessionEvent()], {
        expectedRevision: 'no_stream',
      });
      // Its second event reuses an id stored in another stream: the first must not survive either.
      const failing = store.appendToStream('course-b', [sessionEvent(), taken, sessionEvent()], {
        expectedRevision: 'no_stream',
      });
      const after = store.appendToStream('course-c', [sessionEvent(), sessionEvent()], {
        expectedRevision: 'no_stream',
      });

      await expect(before).resolves.toMatchObject({ nextExpectedRevision: 0 });
      await expect(failing).rejects.toBeInstanceOf(DuplicateEventIdError);
      await expect(after).resolves.toMatchObject({ nextExpectedRevision: 1 });
      expect(await store.readStream('course-b')).toEqual([]);
      expect((await store.readAll()).map((e) => e.streamId)).toEqual([
        'course-audit',
        'course-a',
        'course-c',
        'course-c',
      ]);
    });

    it('treats a retry in the same batch as the same append', async () => {
      const store = open();
      const events = [sessionEvent(), sessionEvent()];
      const [first, retry] = await Promise.all([
        store.appendToStream('course-a', events, { expectedRevision: 'no_stream' }),
        store.appendToStream('course-a', events, { expectedRevision: 'no_stream' }),
      ]);
      expect(retry).toEqual(first);
      expect(await store.readStream('course-a')).toHaveLength(2);
    });

    it('matches event ids whatever their letter case', async () => {
      const store = open();
      const event = sessionEvent();
      const first = await store.appendToStream('course-a', [event], {
        expectedRevision: 'no_stream',
      });
      const retry = await store.appendToStream(
        'course-a',
        [{ ...event, eventId: event.eventId.toUpperCase() }],
        {
          expectedRevision: 'no_stream',
        },
      );
      expect(retry).toEqual(first);
    });

    it('refuses malformed appends before they reach the database', async () => {
      const store = open();
      const event = sessionEvent();
      await expect(
        store.appendToStream('course-a', [{ ...event, eventId: 'not-a-uuid' }], {
          expectedRevision: 'any',
        }),
      ).rejects.toBeInstanceOf(TypeError);
      await expect(
        store.appendToStream('course-a', [event, event], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(TypeError);
      await expect(
        store.appendToStream('course-a', [event], { expectedRevision: -1 }),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await store.headPosition()).toBeNull();
    });
  });

  describe('subscriptions', () => {
    it('pages through a log longer than a page, then follows live appends', async () => {
      const store = open({ subscriptionPageSize: 10 });
      const stored = Array.from({ length: 95 }, (_, i) => sessionEvent(i));
      for (let i = 0; i < stored.length; i += 5) {
        await store.appendToStream(`course-${i % 3}`, stored.slice(i, i + 5), {
          expectedRevision: 'any',
        });
      }

      const subscription = store.subscribeToAll();
      const messages = subscription[Symbol.asyncIterator]();
      const seen: string[] = [];
      for (let m = await next(messages); m.kind === 'event'; m = await next(messages))
        seen.push(m.event.eventId);
      expect(seen).toEqual(stored.map((e) => e.eventId));

      const live = Array.from({ length: 25 }, (_, i) => sessionEvent(i));
      await Promise.all(
        live.map((event) =>
          store.appendToStream('course-live', [event], { expectedRevision: 'any' }),
        ),
      );
      const followed: string[] = [];
      for (let i = 0; i < live.length; i++) {
        const message = await next(messages);
        if (message.kind === 'event') followed.push(message.event.eventId);
      }
      expect(followed).toEqual(live.map((e) => e.eventId));
      await subscription.close();
    });

    it('with a filter, skips past unmatched events without missing later matches', async () => {
      const store = open({ subscriptionPageSize: 10 });
      const subscription = store.subscribeToAll({ streamPrefixes: ['course-'] });
      const messages = subscription[Symbol.asyncIterator]();
      expect((await next(messages)).kind).toBe('caught_up');

      const matching: string[] = [];
      for (let round = 0; round < 3; round++) {
        const audit = Array.from({ length: 35 }, () => sessionEvent());
        await store.appendToStream('audit-trail', audit, { expectedRevision: 'any' });
        const course = sessionEvent(round);
        matching.push(course.eventId);
        await store.appendToStream('course-a', [course], { expectedRevision: 'any' });
      }
      const delivered: string[] = [];
      for (let i = 0; i < matching.length; i++) {
        const message = await next(messages);
        if (message.kind === 'event') delivered.push(message.event.eventId);
      }
      expect(delivered).toEqual(matching);
      await subscription.close();
    });

    it('sees appends made through another connection to the same file', async () => {
      const reader = open({ subscriptionPollMs: 50 });
      const writer = open();
      const subscription = reader.subscribeToAll({ streamPrefixes: ['course-'] });
      const messages = subscription[Symbol.asyncIterator]();
      expect((await next(messages)).kind).toBe('caught_up');

      // The reader is already waiting; no in-process signal reaches it from the writer, only its poll.
      const waiting = next(messages);
      const event = sessionEvent();
      await writer.appendToStream('course-a', [event], { expectedRevision: 'no_stream' });
      const message = await waiting;
      expect(message.kind === 'event' && message.event.eventId).toBe(event.eventId);
      await subscription.close();
    });

    it('lets the event loop turn between the pages of a catch-up', async () => {
      const store = open({ subscriptionPageSize: 10 });
      await store.appendToStream(
        'course-a',
        Array.from({ length: 50 }, (_, i) => sessionEvent(i)),
        { expectedRevision: 'no_stream' },
      );
      // Turns of the event loop, counted by a chain of setImmediate; each event notes the count.
      let turns = 0;
      let counting = true;
      const count = () => {
        if (!counting) return;
        turns++;
        setImmediate(count);
      };
      setImmediate(count);
      const subscription = store.subscribeToAll();
      const turnOf: number[] = [];
      for await (const message of subscription) {
        if (message.kind === 'caught_up') break;
        turnOf.push(turns);
      }
      counting = false;
      await subscription.close();
      // Reading stored events never waits on I/O: without those turns all 50 came in one.
      expect(turnOf).toHaveLength(50);
      const pages = Array.from({ length: 5 }, (_, p) => turnOf.slice(p * 10, p * 10 + 10));
      for (const page of pages) expect(new Set(page).size).toBe(1);
      expect(new Set(pages.map((page) => page[0])).size).toBe(5);
    });

    it('reads a commit once for the subscriptions it wakes, and each following commit afresh', async () => {
      const store = open();
      const subscriptions = [
        store.subscribeToAll(),
        store.subscribeToAll(),
        store.subscribeToAll(),
      ];
      const iterators = subscriptions.map((s) => s[Symbol.asyncIterator]());
      for (const messages of iterators) expect((await next(messages)).kind).toBe('caught_up');

      for (const round of [1, 2]) {
        const waiting = iterators.map((messages) => next(messages));
        const event = sessionEvent(round);
        await store.appendToStream('course-a', [event], { expectedRevision: 'any' });
        const delivered = await Promise.all(waiting);
        for (const message of delivered)
          expect(message.kind === 'event' && message.event.eventId).toBe(event.eventId);
        // One read served all three: the very same object, not three parses of one row.
        const [first, ...others] = delivered.map((m) => (m.kind === 'event' ? m.event : null));
        for (const other of others) expect(other).toBe(first);
      }
      await Promise.all(subscriptions.map((s) => s.close()));
    });

    it('ends when the store closes', async () => {
      const store = open();
      const messages = store.subscribeToAll()[Symbol.asyncIterator]();
      expect((await next(messages)).kind).toBe('caught_up');
      const waiting = messages.next();
      await store.close();
      await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    });
  });

  describe('opening and closing', () => {
    it('commits queued appends on close, keeps them across reopening, and continues positions', async () => {
      const first = open();
      const queued = first.appendToStream('course-a', [sessionEvent(), sessionEvent()], {
        expectedRevision: 'no_stream',
      });
      await first.close();
      const { position } = await queued;

      const reopened = open();
      expect((await reopened.readStream('course-a')).map((e) => e.revision)).toEqual([0, 1]);
      const next = await reopened.appendToStream('course-a', [sessionEvent()], {
        expectedRevision: 1,
      });
      expect(next.nextExpectedRevision).toBe(2);
      expect(next.position > position).toBe(true);
      expect(await reopened.headPosition()).toBe(next.position);
    });

    it('answers every call after close as unavailable', async () => {
      const store = open();
      await store.close();
      await expect(
        store.appendToStream('course-a', [sessionEvent()], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readStream('course-a')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.ping()).toBe(false);
      expect(await store.subscribeToAll()[Symbol.asyncIterator]().next()).toEqual({
        done: true,
        value: undefined,
      });
    });

    it('refuses a file that is not a database', async () => {
      const notADatabase = join(directory, 'notes.txt');
      writeFileSync(notADatabase, 'session notes, not a database '.repeat(100));
      expect(() => new SqliteEventStore(notADatabase)).toThrow(StoreUnavailableError);
    });

    it('reports a wrong expected revision with the typed error', async () => {
      const store = open();
      await store.appendToStream('course-a', [sessionEvent()], { expectedRevision: 'no_stream' });
      await expect(
        store.appendToStream('course-a', [sessionEvent()], { expectedRevision: 'no_stream' }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });
  });
});

async function next(messages: AsyncIterator<SubscriptionMessage>): Promise<SubscriptionMessage> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no subscription message within 10 s')), 10_000);
  });
  try {
    const result = await Promise.race([messages.next(), timeout]);
    if (result.done) throw new Error('the subscription ended');
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}
