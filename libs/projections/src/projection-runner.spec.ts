/**
 * A projection that meets an event it cannot decode stops there, saying which
 * event and why (never its data), while a projection beside it keeps running.
 * Real SQLite event store and read-model database.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { courseStreamId, type CourseEvent } from '@ipt/course';
import {
  openSqlite,
  SqliteEventStore,
  type EventToAppend,
  type SqliteDatabase,
} from '@ipt/event-store';
import { enrolled, held } from '../../course/src/testing/fixtures';
import { waitFor } from '../../../test/support/wait-for';
import type { Projection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { sqliteProjectionTarget } from './projection-target';
import { PhiVault, SqliteKeyStore, kekFrom } from '@ipt/privacy';
import { COURSE_COMPLETION, createReadModelProjections } from './read-models';

const SECRET = 'MRN-SECRET-77';

const stored = (event: CourseEvent, metadata: Record<string, unknown> = {}): EventToAppend => ({
  eventId: randomUUID(),
  type: event.type,
  data: event.data as unknown as Record<string, unknown>,
  metadata: {
    clinicId: 'clinic-a',
    schemaVersion: 1,
    recordedAt: new Date().toISOString(),
    ...metadata,
  },
});

/** Counts events per stream without reading their data: it has nothing to decode. */
const streamLengths: Projection = {
  name: 'stream-lengths',
  migrate: (db) =>
    db.exec('CREATE TABLE IF NOT EXISTS stream_lengths (stream TEXT PRIMARY KEY, n INTEGER)'),
  reset: (db) => db.exec('DELETE FROM stream_lengths'),
  apply(db, events) {
    const add = db.prepare(
      'INSERT INTO stream_lengths VALUES (?, 1) ON CONFLICT(stream) DO UPDATE SET n = n + 1',
    );
    for (const e of events) add.run(e.streamId);
  },
};

describe('a projection meeting an event it cannot decode', () => {
  let dir: string;
  let store: SqliteEventStore;
  let db: SqliteDatabase;
  let vault: PhiVault;
  let runners: ProjectionRunner[] = [];
  const warnings: string[] = [];
  const logger = { log: () => undefined, warn: (m: string) => warnings.push(m) };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-runner-'));
    store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
    db = openSqlite(path.join(dir, 'read-models.sqlite'));
    vault = new PhiVault(SqliteKeyStore.inDataDir(dir, [kekFrom(Buffer.alloc(32, 7))]));
  });

  afterEach(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    runners = [];
    await store.close();
    db.close();
    await vault.keys.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops at it with a PHI-free error while the other projection keeps running', async () => {
    const good = courseStreamId(randomUUID());
    const bad = courseStreamId(randomUUID());
    await store.appendToStream(good, [stored(enrolled()), stored(held(1))], {
      expectedRevision: 'no_stream',
    });
    const goodHead = await store.headPosition();
    // A stored enrollment whose data is malformed and whose metadata names no clinic.
    const broken = enrolled({ plannedSessions: 'sixteen' as unknown as number });
    broken.data.phi = { patientRef: SECRET };
    await store.appendToStream(bad, [stored(broken, { clinicId: undefined })], {
      expectedRevision: 'no_stream',
    });

    const completion = createReadModelProjections().find((p) => p.name === COURSE_COMPLETION)!;
    const [projecting, counting] = (runners = [
      new ProjectionRunner(store, sqliteProjectionTarget(db, completion), logger, { vault }),
      new ProjectionRunner(store, sqliteProjectionTarget(db, streamLengths), logger),
    ]);
    for (const runner of runners) runner.start();

    await waitFor(
      () => projecting.status().state === 'failed',
      10_000,
      () => JSON.stringify(projecting.status()),
    );
    const failed = projecting.status();
    expect(failed.lastError).toBe(
      `cannot decode ${bad}@0: PatientEnrolled.data.plannedSessions must be number`,
    );
    // The events before it are applied: the checkpoint stops right before the bad event.
    expect(failed.checkpoint).toBe(goodHead!.toString());
    expect(failed.eventsApplied).toBe(2);
    const rows = db.prepare('SELECT clinic_id FROM course_completion').all();
    expect(rows).toEqual([{ clinic_id: 'clinic-a' }]);
    expect(warnings.join('\n')).toContain(failed.lastError);
    expect(warnings.join('\n')).not.toContain(SECRET);
    expect(JSON.stringify(failed)).not.toContain(SECRET);

    // The projection beside it reads on, live events included.
    await store.appendToStream(good, [stored(held(2))], { expectedRevision: 1 });
    const head = (await store.headPosition())!.toString();
    await waitFor(
      () => counting.status().state === 'live' && counting.status().checkpoint === head,
      10_000,
      () => JSON.stringify(counting.status()),
    );
    expect(db.prepare('SELECT stream, n FROM stream_lengths ORDER BY n').all()).toEqual([
      { stream: bad, n: 1 },
      { stream: good, n: 3 },
    ]);
    expect(projecting.status()).toEqual(failed);
  });

  it('does not make up a clinic for an event that names none', async () => {
    const orphan = courseStreamId(randomUUID());
    await store.appendToStream(orphan, [stored(enrolled(), { clinicId: undefined })], {
      expectedRevision: 'no_stream',
    });
    const completion = createReadModelProjections().find((p) => p.name === COURSE_COMPLETION)!;
    const [runner] = (runners = [
      new ProjectionRunner(store, sqliteProjectionTarget(db, completion), logger, { vault }),
    ]);
    runner.start();
    await waitFor(
      () => runner.status().state === 'failed',
      10_000,
      () => JSON.stringify(runner.status()),
    );
    expect(runner.status().lastError).toBe(
      `cannot decode ${orphan}@0: metadata.clinicId is missing`,
    );
    expect(db.prepare('SELECT count(*) AS n FROM course_completion').get()).toEqual({ n: 0 });
  });
});

describe('a projection catching up', () => {
  let dir: string;
  let store: SqliteEventStore;
  let db: SqliteDatabase;
  let runner: ProjectionRunner | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-runner-catch-up-'));
    // Pages of a batch each: the store lets the loop turn between pages.
    store = new SqliteEventStore(path.join(dir, 'events.sqlite'), { subscriptionPageSize: 100 });
    db = openSqlite(path.join(dir, 'read-models.sqlite'));
  });

  afterEach(async () => {
    await runner?.stop();
    await store.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets the event loop turn between its batches, so that requests are served meanwhile', async () => {
    for (let i = 0; i < 40; i++) {
      const events = Array.from({ length: 25 }, (_, n) => stored(n === 0 ? enrolled() : held(n)));
      await store.appendToStream(courseStreamId(randomUUID()), events, {
        expectedRevision: 'no_stream',
      });
    }
    runner = new ProjectionRunner(
      store,
      sqliteProjectionTarget(db, streamLengths),
      { log: () => undefined, warn: () => undefined },
      { batchEvents: 100 },
    );
    // Turns of the event loop, counted by a chain of setImmediate; each batch notes the count.
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    const turnAtBatch: number[] = [];
    runner.onApplied(() => turnAtBatch.push(turns));
    runner.start();
    await waitFor(
      () => runner!.status().eventsApplied === 1000,
      10_000,
      () => JSON.stringify(runner!.status()),
    );
    counting = false;
    // Ten batches of 100, each applied in a turn of its own (not all in one run of microtasks).
    expect(turnAtBatch.length).toBeGreaterThanOrEqual(10);
    expect(new Set(turnAtBatch).size).toBe(turnAtBatch.length);
  });
});
