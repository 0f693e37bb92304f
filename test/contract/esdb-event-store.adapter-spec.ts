/**
 * What the EventStoreDB adapter must handle beyond the shared contract:
 * system events, filter checkpoints, a caught-up report that overtakes
 * buffered events, and the server going away and coming back. Runs only on
 * the protocol test server (it stops and restarts it).
 */
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, binaryEvent } from '@eventstore/db-client';
import { Readable } from 'node:stream';
import {
  EsdbEventStore,
  RecordedEvent,
  StoreSubscription,
  StoreUnavailableError,
  SubscriptionMessage,
  UnreadableEventError,
} from '@ipt/event-store';
import { EsdbTestServer, startEsdbTestServer } from '../support/esdb-test-server';
import { courseEvent } from './event-store.contract';
import {
  eventsUntilCaughtUp,
  nextEvent,
  nextMessage,
  withTimeout,
} from '../support/subscription-reading';
import { waitFor } from '../support/wait-for';

const encoder = new TextEncoder();

let server: EsdbTestServer;
let store: EsdbEventStore;
let subscription: StoreSubscription | undefined;

beforeAll(async () => {
  server = await startEsdbTestServer();
});

beforeEach(() => {
  server.reset();
  store = EsdbEventStore.fromConnectionString(server.connectionString);
});

afterEach(async () => {
  await subscription?.close();
  subscription = undefined;
  await store.close();
});

afterAll(async () => {
  await server.stop();
});

/** Writes straight into the server's log, as EventStoreDB itself writes its system events. */
function writeSystemEvent(streamName: string, type: string): void {
  server.log.append(streamName, 'any', [
    {
      id: randomUUID(),
      type,
      contentType: 'application/json',
      data: encoder.encode('{}'),
      customMetadata: new Uint8Array(),
    },
  ]);
}

describe('system events', () => {
  it('never reach readAll results, the head position or subscribers', async () => {
    const course = `course-${randomUUID()}`;
    await store.appendToStream(course, [courseEvent()], { expectedRevision: 'no_stream' });
    writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
    // A `$` stream with an ordinary type passes the server's event-type filter: the adapter drops it.
    writeSystemEvent('$projections-$all', 'ProjectionUpdated');
    const [last] = await store.readStream(course);

    const all = await store.readAll();
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((e) => e.streamId.startsWith('$') || e.type.startsWith('$'))).toEqual([]);
    expect(await store.readAll({ direction: 'backwards', maxCount: 1 })).toEqual([last]);
    expect(await store.headPosition()).toBe(last.position);

    subscription = store.subscribeToAll();
    const messages = subscription[Symbol.asyncIterator]();
    const stored = await eventsUntilCaughtUp(messages);
    expect(stored.map((e) => e.streamId)).toEqual([course]);

    writeSystemEvent('$scavenges', '$scavengeStarted');
    writeSystemEvent('$$' + course, '$metadata');
    await store.appendToStream(course, [courseEvent()], { expectedRevision: 0 });
    const live = await nextMessage(messages);
    expect(live).toMatchObject({ kind: 'event', event: { streamId: course, revision: 1 } });
  });

  it('leave the head position null on a log that holds nothing else', async () => {
    expect(server.log.all.length).toBeGreaterThan(0);
    expect(await store.headPosition()).toBeNull();
    expect(await store.readAll()).toEqual([]);
  });
});

describe('readAll paging', () => {
  it('gives the same answers in pages of 2 or 3 as in one page', async () => {
    for (let i = 0; i < 7; i++) {
      await store.appendToStream(`course-${i % 3}`, [courseEvent()], { expectedRevision: 'any' });
      writeSystemEvent('$stats-node', '$statsCollected');
      await store.appendToStream(`audit-${i % 2}`, [courseEvent()], { expectedRevision: 'any' });
    }
    const everything = await store.readAll();
    expect(everything).toHaveLength(14);
    const middle = everything[5].position;
    const queries = [
      {},
      { streamPrefixes: ['course-'] },
      { streamPrefixes: ['audit-'], maxCount: 4 },
      { fromPosition: middle },
      { fromPosition: middle, streamPrefixes: ['course-'], maxCount: 2 },
      { direction: 'backwards' as const },
      { direction: 'backwards' as const, streamPrefixes: ['course-'] },
      { direction: 'backwards' as const, fromPosition: middle, streamPrefixes: ['audit-'] },
    ];
    for (const readPageSize of [2, 3]) {
      const paging = EsdbEventStore.fromConnectionString(server.connectionString, { readPageSize });
      try {
        for (const query of queries) {
          expect(await paging.readAll(query)).toEqual(await store.readAll(query));
        }
      } finally {
        await paging.close();
      }
    }
  });
});

describe('filtered subscriptions', () => {
  it('deliver exactly the matching events while the server interleaves checkpoints', async () => {
    const prefix = `c${randomUUID().slice(0, 8)}-course-`;
    const expected: string[] = [];
    // 40 other events between matching ones: more than one checkpoint window (32) each time.
    const writeRound = async (round: number) => {
      for (let i = 0; i < 40; i++) writeSystemEvent('$stats-node', '$statsCollected');
      await store.appendToStream(
        `audit-${round}`,
        Array.from({ length: 40 }, () => courseEvent('AuditRecorded')),
        { expectedRevision: 'any' },
      );
      const event = courseEvent();
      expected.push(event.eventId);
      await store.appendToStream(`${prefix}${round % 3}`, [event], { expectedRevision: 'any' });
    };
    for (let round = 0; round < 5; round++) await writeRound(round);

    for (const streamPrefixes of [[prefix], undefined]) {
      const seen = expected.length;
      const sub = store.subscribeToAll({ streamPrefixes });
      subscription = sub;
      const messages = sub[Symbol.asyncIterator]();
      const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamId.startsWith(prefix));
      expect(ours(await eventsUntilCaughtUp(messages)).map((e) => e.eventId)).toEqual(expected);

      for (let round = 5; round < 8; round++) await writeRound(round);
      const live: RecordedEvent[] = [];
      while (live.filter((e) => e.streamId.startsWith(prefix)).length < 3) {
        const message = await nextMessage(messages);
        if (message.kind !== 'event') throw new Error(`unexpected ${message.kind} after caught_up`);
        live.push(message.event);
      }
      expect(ours(live).map((e) => e.eventId)).toEqual(expected.slice(seen));
      await sub.close();
    }
  });

  it('report caught_up after every stored event, however many the client has buffered', async () => {
    const stream = `course-${randomUUID()}`;
    const ids: string[] = [];
    // 517: just past the adapter's queue limit (512), so that it pauses the client's stream
    // a few events before the caught-up message, which is then transformed behind buffered events.
    for (const size of [300, 217]) {
      const events = Array.from({ length: size }, () => courseEvent());
      ids.push(...events.map((e) => e.eventId));
      await store.appendToStream(stream, events, { expectedRevision: 'any' });
    }
    subscription = store.subscribeToAll({ streamPrefixes: ['course-'] });
    const source = clientStreamOf(subscription);
    const flow: string[] = [];
    source.on('pause', () => flow.push('pause'));
    source.on('resume', () => flow.push('resume'));
    let bufferedAtCaughtUp: number | undefined;
    source.once('caughtUp', () => (bufferedAtCaughtUp = source.readableLength));
    // Not reading yet: the adapter's queue fills and it pauses the client's stream, so caught-up
    // is transformed later, while the client's buffer still holds events not handed over.
    await waitFor(
      () => bufferedAtCaughtUp !== undefined,
      10_000,
      () => 'for the client to report caught-up',
    );
    expect(source.isPaused()).toBe(true);
    expect(bufferedAtCaughtUp).toBeGreaterThan(0);
    const delivered: string[] = [];
    let flowAtCaughtUp: string[] = [];
    for await (const message of subscription) {
      if (message.kind === 'caught_up') {
        flowAtCaughtUp = [...flow];
        break;
      }
      delivered.push(message.event.eventId);
    }
    expect(delivered).toEqual(ids);
    // Reading drained the queue below its low-water mark: the adapter resumed the client's stream.
    expect(flowAtCaughtUp.slice(flowAtCaughtUp.indexOf('pause'))).toEqual(['pause', 'resume']);
  });
});

describe('when the server goes away', () => {
  it('fails iteration and appends with StoreUnavailableError; after a restart, resuming from the checkpoint skips and repeats nothing', async () => {
    const stream = `course-${randomUUID()}`;
    const before = [courseEvent(), courseEvent(), courseEvent()];
    await store.appendToStream(stream, before, { expectedRevision: 'no_stream' });

    subscription = store.subscribeToAll({ streamPrefixes: ['course-'] });
    const messages = subscription[Symbol.asyncIterator]();
    // The consumer handles two events and records its checkpoint; the third stays unhandled.
    const first = await nextEvent(messages);
    const second = await nextEvent(messages);
    const checkpoint = second.position;
    expect([first.eventId, second.eventId]).toEqual(before.slice(0, 2).map((e) => e.eventId));

    await server.stop();
    await expect(drain(messages)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(
      store.appendToStream(stream, [courseEvent()], { expectedRevision: 2 }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.readStream(stream)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.ping()).toBe(false);

    await server.restart();
    const restartedAt = Date.now();
    const after = courseEvent();
    // The client replaces its channel after an unavailable error and reconnects on the next call.
    await eventually(() => store.appendToStream(stream, [after], { expectedRevision: 2 }));
    const reconnectMs = Date.now() - restartedAt;
    expect(reconnectMs).toBeLessThan(5_000);
    expect(await store.ping()).toBe(true);

    subscription = store.subscribeToAll({ afterPosition: checkpoint, streamPrefixes: ['course-'] });
    const resumed = subscription[Symbol.asyncIterator]();
    expect((await eventsUntilCaughtUp(resumed)).map((e) => e.eventId)).toEqual([
      before[2].eventId,
      after.eventId,
    ]);
    const live = courseEvent();
    await store.appendToStream(stream, [live], { expectedRevision: 3 });
    expect((await nextEvent(resumed)).eventId).toBe(live.eventId);
  });

  it('fails a subscription opened while the server is down', async () => {
    await server.stop();
    try {
      subscription = store.subscribeToAll();
      await expect(drain(subscription[Symbol.asyncIterator]())).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await server.restart();
    }
  });
});

/**
 * The client's subscription stream under the adapter's subscription (a private
 * field): the test checks that the path it means to exercise was taken.
 */
function clientStreamOf(subscription: StoreSubscription): Readable {
  const source = (subscription as unknown as { source?: unknown }).source;
  if (!(source instanceof Readable))
    throw new Error('the adapter no longer keeps its client stream as `source`');
  return source;
}

async function drain(messages: AsyncIterator<SubscriptionMessage>): Promise<void> {
  for (;;) {
    const next = await withTimeout(messages.next());
    if (next.done) throw new Error('the subscription ended without an error');
  }
}

/** Retries `attempt` while the store is unavailable (the client reconnecting), up to the timeout. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  let result: { value: T } | undefined;
  let unavailable: StoreUnavailableError | undefined;
  await waitFor(
    async () => {
      try {
        result = { value: await attempt() };
        return true;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        unavailable = error;
        return false;
      }
    },
    timeoutMs,
    () => `for the store to answer again (last: ${unavailable?.message})`,
  );
  return result!.value;
}

describe('events that are not JSON', () => {
  let client: EventStoreDBClient;
  beforeEach(() => {
    client = EventStoreDBClient.connectionString(server.connectionString);
  });
  afterEach(async () => {
    await client.dispose();
  });

  /** Appends raw bytes with the real client, as another writer of the store might. */
  async function appendBytes(stream: string, data: string, metadata: string | object = {}) {
    await client.appendToStream(
      stream,
      binaryEvent({
        type: 'SessionHeld',
        data: Buffer.from(data),
        metadata: typeof metadata === 'string' ? Buffer.from(metadata) : metadata,
      }),
    );
  }

  async function refusal(read: Promise<unknown>): Promise<UnreadableEventError> {
    const error = await read.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnreadableEventError);
    return error as UnreadableEventError;
  }

  it('are refused with the stream, revision and what is wrong, never the bytes', async () => {
    const course = `course-${randomUUID()}`;
    await store.appendToStream(course, [courseEvent()], { expectedRevision: 'no_stream' });
    await appendBytes(course, 'MRN-0042 not json');

    const error = await refusal(store.readStream(course));
    expect(error.code).toBe('event_unreadable');
    expect(error.streamId).toBe(course);
    expect(error.revision).toBe(1);
    expect(error.message).toBe(`cannot read ${course}@1: data is not a JSON object`);
    expect(error.message).not.toContain('MRN');
    await refusal(store.readAll({ streamPrefixes: ['course-'] }));
    // The readable event before it is still readable on its own.
    expect(await store.readStream(course, { maxCount: 1 })).toHaveLength(1);
  });

  it('refuse metadata that does not parse, and JSON that is not an object', async () => {
    const bad = `course-${randomUUID()}`;
    await appendBytes(bad, '{}', 'not json');
    expect((await refusal(store.readStream(bad))).problem).toBe('metadata is not a JSON object');
    const list = `course-${randomUUID()}`;
    await appendBytes(list, '[1, 2]');
    expect((await refusal(store.readStream(list))).problem).toBe('data is not a JSON object');
    // Binary events holding a JSON object still read as before.
    const fine = `course-${randomUUID()}`;
    await appendBytes(fine, '{"courseId":"c"}', { clinicId: 'clinic-a' });
    const [event] = await store.readStream(fine);
    expect(event.data).toEqual({ courseId: 'c' });
    expect(event.metadata).toEqual({ clinicId: 'clinic-a' });
  });

  it('end a subscription after the events before them; other streams do not stop a read', async () => {
    await appendBytes(`other-${randomUUID()}`, 'not json');
    const course = `course-${randomUUID()}`;
    await store.appendToStream(course, [courseEvent(), courseEvent()], {
      expectedRevision: 'no_stream',
    });
    expect(await store.readAll({ streamPrefixes: ['course-'] })).toHaveLength(2);
    await appendBytes(course, 'not json');

    subscription = store.subscribeToAll({ streamPrefixes: ['course-'] });
    const messages = subscription[Symbol.asyncIterator]();
    expect((await nextEvent(messages)).revision).toBe(0);
    expect((await nextEvent(messages)).revision).toBe(1);
    const error = await refusal(nextMessage(messages));
    expect([error.streamId, error.revision]).toEqual([course, 2]);
  });
});
