/**
 * The protocol test server seen through the plain @eventstore/db-client, with
 * no adapter in between: the wire details the adapter relies on.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  Position,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import { ServerFeaturesClient } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { EsdbTestServer, startEsdbTestServer } from '../support/esdb-test-server';

let server: EsdbTestServer;
let client: EventStoreDBClient;

beforeAll(async () => {
  server = await startEsdbTestServer();
});

beforeEach(() => {
  server.reset();
  client = EventStoreDBClient.connectionString(server.connectionString);
});

afterEach(async () => {
  await client.dispose();
});

afterAll(async () => {
  await server.stop();
});

const event = (type = 'CourseOpened', data: Record<string, unknown> = {}) =>
  jsonEvent({ id: randomUUID(), type, data });

it('advertises BatchAppend and Read, as the client asks for them', async () => {
  const features = new ServerFeaturesClient(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  );
  const methods = await new Promise<SupportedMethods>((resolve, reject) =>
    features.getSupportedMethods(new Empty(), (error, answer) =>
      error ? reject(error) : resolve(answer),
    ),
  );
  features.close();
  const paths = methods.getMethodsList().map((m) => `/${m.getServiceName()}/${m.getMethodName()}`);
  expect(paths).toEqual(
    expect.arrayContaining([
      '/event_store.client.streams.streams/batchappend',
      '/event_store.client.streams.streams/append',
      '/event_store.client.streams.streams/read',
    ]),
  );
});

it('serves the Append call (the client uses it when credentials are given per call)', async () => {
  const credentials = { username: 'admin', password: 'changeit' };
  const stream = `course-${randomUUID()}`;
  const written = await client.appendToStream(stream, [event(), event()], {
    expectedRevision: 'no_stream',
    credentials,
  });
  expect(written.nextExpectedRevision).toBe(1n);
  const error = await client
    .appendToStream(stream, event(), { expectedRevision: 0n, credentials })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WrongExpectedVersionError);
  expect(error).toMatchObject({ streamName: stream, expectedVersion: 0n, actualVersion: 1n });
});

it('reports wrong expected versions from BatchAppend in the shape the client unpacks', async () => {
  const stream = `course-${randomUUID()}`;
  const error = await client
    .appendToStream(stream, event(), { expectedRevision: 'stream_exists' })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WrongExpectedVersionError);
  expect(error).toMatchObject({
    streamName: stream,
    expectedVersion: 'stream_exists',
    actualVersion: 'no_stream',
  });
});

it('records sparse positions (commit = prepare), revisions and .NET-tick creation times', async () => {
  const before = Date.now();
  await client.appendToStream('course-1', [event(), event(), event()]);
  const read = [];
  for await (const resolved of client.readStream('course-1')) read.push(resolved.event!);
  expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
  for (const [i, e] of read.entries()) {
    expect(e.position!.commit).toBe(e.position!.prepare);
    if (i > 0) expect(e.position!.commit - read[i - 1].position!.commit).toBeGreaterThan(1n);
    expect(Math.abs(e.created.getTime() - before)).toBeLessThan(5_000);
  }
});

it('answers stream_not_found for a missing stream, and reads $all both ways from a position', async () => {
  await expect(async () => {
    for await (const _ of client.readStream('nowhere')) void _;
  }).rejects.toBeInstanceOf(StreamNotFoundError);

  await client.appendToStream('course-1', [event(), event(), event()]);
  const all = [];
  for await (const resolved of client.readAll()) all.push(resolved.event!);
  expect(all.slice(0, 4).every((e) => e.type.startsWith('$'))).toBe(true);
  const [, second] = all.filter((e) => e.streamId === 'course-1');
  const from: Position = second.position!;

  const forwards = [];
  for await (const r of client.readAll({ fromPosition: from, direction: FORWARDS })) {
    forwards.push(r.event!.revision);
  }
  expect(forwards).toEqual([1n, 2n]); // forwards: from the position, inclusive
  const backwards = [];
  for await (const r of client.readAll({ fromPosition: from, direction: BACKWARDS, maxCount: 1 })) {
    backwards.push(r.event!.revision);
  }
  expect(backwards).toEqual([0n]); // backwards: what lies before the position
  const latest = [];
  for await (const r of client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) {
    latest.push(r.event!.revision);
  }
  expect(latest).toEqual([2n]);
});

it('subscribes to a stream after a revision: catch-up, caught-up, live', async () => {
  await client.appendToStream('course-1', [event(), event(), event()]);
  const subscription = client.subscribeToStream('course-1', { fromRevision: 0n });
  const seen: string[] = [];
  const caughtUp = new Promise<void>((resolve) =>
    subscription.on('caughtUp', () => {
      seen.push('caught_up');
      resolve();
    }),
  );
  subscription.on('data', (r) => seen.push(String(r.event!.revision)));
  await caughtUp;
  await client.appendToStream('course-1', event());
  await client.appendToStream('course-2', event());
  await waitFor(() => seen.length === 4);
  await subscription.unsubscribe();
  expect(seen).toEqual(['1', '2', 'caught_up', '3']);
});

it('sends filter checkpoints every checkpointInterval × 32 events examined and at the end of catch-up', async () => {
  await client.appendToStream(
    'audit-1',
    Array.from({ length: 70 }, () => event('AuditRecorded')),
  );
  await client.appendToStream('course-1', event());
  const checkpoints: bigint[] = [];
  const subscription = client.subscribeToAll({
    fromPosition: START,
    filter: streamNameFilter({
      prefixes: ['course-'],
      checkpointInterval: 1,
      checkpointReached: (_subscription, position) => {
        checkpoints.push(position.commit);
      },
    }),
  });
  const events: string[] = [];
  subscription.on('data', (r) => events.push(r.event!.streamId));
  await new Promise<void>((resolve) => subscription.on('caughtUp', () => resolve()));
  await subscription.unsubscribe();
  // 4 system events + 70 + 1 examined: checkpoints after 32 and 64, then one at the end of catch-up.
  expect(checkpoints).toHaveLength(3);
  expect(checkpoints[2]).toBe(server.log.lastPosition());
  expect(events).toEqual(['course-1']);
});

it('accepts messages beyond grpc-js’s default 4 MiB limit (the real server takes 16 MiB)', async () => {
  const big = event('MaterialUploaded', { blob: 'x'.repeat(6 * 1024 * 1024) });
  await client.appendToStream('course-big', big);
  const [read] = await collect(client.readStream('course-big'));
  expect((read.event!.data as { blob: string }).blob).toHaveLength(6 * 1024 * 1024);
});

it('reset() empties the log, seeds the system events again and ends subscriptions', async () => {
  await client.appendToStream('course-1', event());
  const subscription = client.subscribeToAll();
  await new Promise<void>((resolve) => subscription.on('caughtUp', () => resolve()));
  const ended = new Promise<unknown>((resolve) => subscription.on('error', resolve));
  server.reset();
  expect(await ended).toMatchObject({ code: grpc.status.UNAVAILABLE });
  expect(server.log.all.map((e) => e.streamName)).toEqual([
    '$settings',
    '$scavenges',
    '$$$scavenges',
    '$scavenges',
  ]);
});

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
