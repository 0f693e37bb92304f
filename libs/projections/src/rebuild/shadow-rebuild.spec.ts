/**
 * Rebuilds without an outage, on a real SQLite event store and a real
 * read-model database: while commands keep arriving and views are read
 * between every slice of the rebuild, no course view is ever missing or goes
 * back, the progress is reported, and the switched-over read models equal
 * those an incremental build of the same log gives.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore, type SqliteDatabase } from '@ipt/event-store';
import { PhiVault, SqliteKeyStore, kekFrom } from '@ipt/privacy';
import {
  appendRounds,
  generateCourse,
  type CourseInProgress,
} from '../../../../test/support/kafka-courses';
import { waitFor } from '../../../../test/support/wait-for';
import { ProjectionRunner } from '../projection-runner';
import { sqliteProjectionTarget } from '../projection-target';
import { openReadModelDatabase } from '../read-model-database';
import { ReadModelQueries, createReadModelProjections } from '../read-models';
import type { RebuildProgress } from './rebuild-requests';

const TABLES = {
  'course-completion': 'course_completion',
  'course-outcomes': 'course_outcomes',
  'clinic-summary': 'clinic_summary_courses',
} as const;
const CLINIC = 'clinic-rebuild';
const quiet = { log: () => undefined, warn: () => undefined };
/** Small slices, so the rebuild takes many turns of the event loop and reads land between them. */
const SMALL_SLICES = { rebuild: { sliceEvents: 40, sliceRows: 15, progressEveryMs: 0 } };

const rowsOf = (db: SqliteDatabase, table: string) =>
  db.prepare(`SELECT * FROM ${table} ORDER BY course_id`).all();
const tablesLike = (db: SqliteDatabase, pattern: string) =>
  (
    db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY name`)
      .all(pattern) as { name: string }[]
  ).map((t) => t.name);
const indexesOf = (db: SqliteDatabase, table: string) =>
  (db.pragma(`index_list(${table})`) as { name: string; origin: string }[])
    .filter((i) => i.origin === 'c')
    .map((i) => i.name)
    .sort();

describe('a rebuild without an outage', () => {
  let dir: string;
  let store: SqliteEventStore;
  let db: SqliteDatabase;
  let runners: ProjectionRunner[] = [];
  // The course view's projection opens PHI; these generated events carry it unsealed.
  let vault: PhiVault;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-rebuild-'));
    store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
    db = openReadModelDatabase(dir);
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

  const startRunners = (database: SqliteDatabase, options = SMALL_SLICES) => {
    const started = createReadModelProjections().map(
      (p) =>
        new ProjectionRunner(store, sqliteProjectionTarget(database, p), quiet, {
          ...options,
          vault,
        }),
    );
    for (const r of started) r.start();
    runners.push(...started);
    return started;
  };

  const caughtUp = async (list: ProjectionRunner[]) => {
    const head = (await store.headPosition())?.toString() ?? null;
    return list.every((r) => r.status().state === 'live' && r.status().checkpoint === head);
  };

  const append = (courses: CourseInProgress[], rounds: number) =>
    appendRounds(store, courses, rounds);

  it('keeps every view answering while commands arrive, reports progress, and ends equal to an incremental build', async () => {
    const first = Array.from({ length: 60 }, (_, n) => ({
      course: generateCourse(n, { clinicId: CLINIC, full: n % 4 === 0 }),
      step: 0,
    }));
    await append(first, 8); // part of each course: the rest arrives during the rebuild
    const live = startRunners(db);
    await waitFor(() => caughtUp(live), 20_000);

    const queries = new ReadModelQueries(db);
    const courseIds = first.map((c) => c.course.courseId);
    const seen = new Map<string, number>();
    const readAll = () => {
      for (const courseId of courseIds) {
        const view = queries.courseRow(CLINIC, courseId, Date.now());
        const outcomes = queries.row('course_outcomes', CLINIC, courseId);
        // Never missing, never older than what a read saw before.
        expect(view).toBeDefined();
        expect(outcomes).toBeDefined();
        expect(view!.revision).toBeGreaterThanOrEqual(seen.get(courseId) ?? 0);
        seen.set(courseId, view!.revision);
      }
      expect(queries.clinicContributions(CLINIC).length).toBeGreaterThanOrEqual(courseIds.length);
    };
    readAll();

    // Commands keep coming while the three projections are rebuilt: the rest of the
    // first courses, and new ones.
    const later = Array.from({ length: 20 }, (_, n) => ({
      course: generateCourse(100 + n, { clinicId: CLINIC }),
      step: 0,
    }));
    let writing = true;
    const writer = (async () => {
      while (writing && [...first, ...later].some((c) => c.step < c.course.appends.length)) {
        await append(first, 1);
        await append(later, 1);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const asked = (await Promise.all(live.map((r) => r.requestRebuild()))).map((p) => p!);
    for (const p of asked) expect(['requested', 'preparing']).toContain(p.state);
    // Asking again while one is open answers the same rebuild.
    expect((await live[0].requestRebuild())!.id).toBe(asked[0].id);

    const observed: RebuildProgress[] = [];
    while (live.some((r) => !['done', 'failed'].includes(r.status().rebuild?.state ?? ''))) {
      readAll();
      for (const r of live) observed.push(r.status().rebuild!);
      await new Promise((r) => setImmediate(r));
    }
    writing = false;
    await writer;
    await append([...first, ...later], 1000); // what the writer had left
    await Promise.all(live.map((r) => r.rebuildFinished()));
    await waitFor(() => caughtUp(live), 20_000);
    readAll();

    // Progress: it was seen replaying, with its figures, and it counted every event.
    const total = first.concat(later).reduce((n, c) => n + c.course.appends.flat().length, 0);
    for (const r of live) {
      const name = r.projection.name;
      const mine = observed.filter((p) => p.id === r.status().rebuild!.id);
      expect(mine.map((p) => p.state)).toContain('replaying');
      const replaying = mine.filter((p) => p.state === 'replaying' && p.eventsDone > 0);
      expect(replaying.length).toBeGreaterThan(0);
      for (const p of replaying) {
        expect(p.eventsTotal).toBeGreaterThanOrEqual(p.eventsDone);
        expect(p.eventsPerSecond).toBeGreaterThan(0);
        expect(p.secondsLeft).toBeGreaterThanOrEqual(0);
        expect(p.startedAt).not.toBeNull();
      }
      const done = mine.map((p) => p.eventsDone);
      expect(done).toEqual([...done].sort((a, b) => a - b)); // never goes back
      const final = r.status().rebuild!;
      expect(final).toMatchObject({ state: 'done', error: null, secondsLeft: 0 });
      expect(final.eventsDone).toBe(final.eventsTotal);
      expect(final.eventsDone).toBeGreaterThan(0);
      expect(final.eventsDone).toBeLessThanOrEqual(total);
      expect(Date.parse(final.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(final.startedAt!));
      // The former copy and the shadow are gone; the indexes are the spec's, once each.
      expect(tablesLike(db, `${TABLES[name as keyof typeof TABLES]}__%`)).toEqual([]);
    }
    expect(indexesOf(db, 'course_completion')).toEqual([
      `course_completion_by_clinic__r${live[0].status().rebuild!.id}`,
      `course_completion_by_last_contact__r${live[0].status().rebuild!.id}`,
      `course_completion_by_standing_risk__r${live[0].status().rebuild!.id}`,
    ]);

    // The same log built incrementally, from an empty read model, by the live path alone.
    const incrementalDb = openReadModelDatabase(fs.mkdtempSync(path.join(dir, 'incremental-')));
    try {
      const incremental = startRunners(incrementalDb);
      await waitFor(() => caughtUp(incremental), 20_000);
      for (const table of Object.values(TABLES)) {
        const rebuilt = rowsOf(db, table);
        expect(rebuilt).toHaveLength(80);
        expect(rebuilt).toEqual(rowsOf(incrementalDb, table));
      }
      // The checkpoint counts the events of the switched-over copy, and goes on counting.
      const counts = db
        .prepare('SELECT name, events FROM projection_checkpoints ORDER BY name')
        .all();
      const incrementalCounts = incrementalDb
        .prepare('SELECT name, events FROM projection_checkpoints ORDER BY name')
        .all();
      expect(counts).toEqual(incrementalCounts);
      await Promise.all(incremental.map((r) => r.stop()));
    } finally {
      incrementalDb.close();
    }
  }, 120_000);

  it('is carried out by the process that runs the projection, and starts over after an interruption', async () => {
    const courses = Array.from({ length: 40 }, (_, n) => ({
      course: generateCourse(n, { clinicId: CLINIC }),
      step: 0,
    }));
    await append(courses, 1000);
    // An API that does not project (RUN_PROJECTIONS=false) only records the request.
    const [asking] = createReadModelProjections().map(
      (p) => new ProjectionRunner(store, sqliteProjectionTarget(db, p), quiet, { vault }),
    );
    const asked = (await asking.requestRebuild())!;
    expect(asked).toMatchObject({ state: 'requested', eventsDone: 0, startedAt: null });
    await new Promise((r) => setTimeout(r, 50));
    expect(asking.status().rebuild!.state).toBe('requested');

    // The projector starts, catches up, and finds the request; it stops in the middle.
    const [projector] = startRunners(db, { rebuild: { ...SMALL_SLICES.rebuild, sliceEvents: 5 } });
    // Checked between the rebuild's slices (each ends with a turn of the event loop).
    const deadline = Date.now() + 20_000;
    while ((projector.status().rebuild?.eventsDone ?? 0) <= 50 && Date.now() < deadline)
      await new Promise((r) => setImmediate(r));
    expect(projector.status().rebuild!.id).toBe(asked.id);
    expect(asking.status().rebuild!.state).toBe('replaying'); // the shared table says so
    await projector.stop();
    runners = runners.filter((r) => r !== projector);
    expect(asking.status().rebuild).toMatchObject({ id: asked.id, state: 'requested' });
    expect(tablesLike(db, 'course_completion__%')).toEqual(['course_completion__shadow']);
    const before = rowsOf(db, 'course_completion');
    expect(before).toHaveLength(40);

    // Started again, it drops the half-built shadow and rebuilds from the start.
    const [again] = startRunners(db);
    await waitFor(() => again.status().rebuild?.state === 'done', 20_000);
    await again.rebuildFinished();
    expect(again.status().rebuild!.id).toBe(asked.id);
    expect(again.status().rebuild!.eventsDone).toBe(
      courses.reduce((n, c) => n + c.course.appends.flat().length, 0),
    );
    expect(rowsOf(db, 'course_completion')).toEqual(before);
    expect(tablesLike(db, 'course_completion__%')).toEqual([]);
    // A second rebuild is a new one, and the indexes are still there once each.
    const second = (await again.requestRebuild())!;
    expect(second.id).toBeGreaterThan(asked.id);
    await waitFor(() => again.status().rebuild?.state === 'done', 20_000);
    await again.rebuildFinished();
    expect(indexesOf(db, 'course_completion')).toHaveLength(3);
    expect(rowsOf(db, 'course_completion')).toEqual(before);
  }, 60_000);
});
