/**
 * Rebuilds without an outage with the read models in PostgreSQL (a fresh
 * database per test, real embedded server), the shape of a deployment: two
 * processes, each with its own pool, and only the one holding the projector's
 * advisory lock projects. A rebuild asked on the other one (an API instance)
 * is recorded in the shared table and carried out by the lock holder; views
 * read from the other process never disappear or go back while commands keep
 * arriving; the result equals an incremental build of the same log. When the
 * lock holder stops in the middle, its standby takes the lock and starts the
 * rebuild over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pool } from 'pg';
import { AdvisoryLease, PROJECTOR_LOCK, openSharedDatabase } from '@ipt/database';
import { SqliteEventStore } from '@ipt/event-store';
import { PhiVault, SqliteKeyStore, kekFrom } from '@ipt/privacy';
import {
  COURSE_COMPLETION,
  PostgresReadModelReader,
  ProjectionFencedError,
  ProjectionRunner,
  createPostgresReadModelTargets,
  type ProjectionTarget,
  type RebuildProgress,
  type ShadowTarget,
} from '@ipt/projections';
import { recorded } from '../../libs/projections/src/testing/generated-clinic';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { appendRounds, generateCourse, type CourseInProgress } from '../support/kafka-courses';
import { waitFor } from '../support/wait-for';

const TABLES = {
  'course-completion': 'course_completion',
  'course-outcomes': 'course_outcomes',
  'clinic-summary': 'clinic_summary_courses',
} as const;
const CLINIC = 'clinic-rebuild-pg';
const quiet = { log: () => undefined, warn: () => undefined };
/** Small slices, so the rebuild takes many transactions and reads land between them. */
const SMALL_SLICES = { rebuild: { sliceEvents: 40, sliceRows: 15, progressEveryMs: 0 } };

/** One process of the deployment: its pool, its runners, and (when projecting) the lock. */
interface Process {
  pool: Pool;
  runners: ProjectionRunner[];
  lease?: AdvisoryLease;
}

const rowsOf = async (pool: Pool, table: string) =>
  (await pool.query(`SELECT * FROM ${table} ORDER BY course_id`)).rows;
const tablesLike = async (pool: Pool, prefix: string) =>
  (
    await pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
         AND starts_with(tablename, $1) ORDER BY tablename`,
      [prefix],
    )
  ).rows.map((r) => r.tablename);
const indexesOf = async (pool: Pool, table: string) =>
  (
    await pool.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
      [table],
    )
  ).rows.map((r) => r.indexname);

describe('a rebuild without an outage on PostgreSQL', () => {
  let dir: string;
  let store: SqliteEventStore;
  const databases: TestDatabase[] = [];
  let processes: Process[] = [];
  // The course view's projection opens PHI; these generated events carry it unsealed.
  let vault: PhiVault;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-rebuild-pg-'));
    store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
    vault = new PhiVault(SqliteKeyStore.inDataDir(dir, [kekFrom(Buffer.alloc(32, 7))]));
  });

  afterEach(async () => {
    for (const p of processes) {
      await Promise.all(p.runners.map((r) => r.stop()));
      await p.lease?.release();
      await p.pool.end();
    }
    processes = [];
    await store.close();
    await vault.keys.close();
    for (const db of databases.splice(0)) await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase('ipt_rebuild');
    databases.push(db);
    return db;
  }

  async function openProcess(url: string, options = SMALL_SLICES): Promise<Process> {
    const pool = await openSharedDatabase(url);
    const runners = createPostgresReadModelTargets(pool).map(
      (target) => new ProjectionRunner(store, target, quiet, { ...options, vault }),
    );
    const p: Process = { pool, runners };
    processes.push(p);
    return p;
  }

  /** As the projector does: waits for the lock, then runs the projections (and their rebuilds). */
  async function project(p: Process, url: string): Promise<void> {
    p.lease = new AdvisoryLease(url, PROJECTOR_LOCK, { retryMs: 50 });
    expect(await p.lease.acquire()).toBe(true);
    for (const r of p.runners) r.start();
  }

  const caughtUp = async (list: ProjectionRunner[]) => {
    const head = (await store.headPosition())?.toString() ?? null;
    return list.every((r) => r.status().state === 'live' && r.status().checkpoint === head);
  };

  const append = (courses: CourseInProgress[], rounds: number) =>
    appendRounds(store, courses, rounds);

  it('is asked on an instance, carried out by the lock holder, keeps every view answering, and ends equal to an incremental build', async () => {
    const db = await database();
    const first = Array.from({ length: 60 }, (_, n) => ({
      course: generateCourse(n, { clinicId: CLINIC, full: n % 4 === 0 }),
      step: 0,
    }));
    await append(first, 8); // part of each course: the rest arrives during the rebuild
    const projector = await openProcess(db.url);
    const instance = await openProcess(db.url); // an API instance: it never gets the lock here
    await project(projector, db.url);
    await waitFor(() => caughtUp(projector.runners), 30_000);

    const reader = new PostgresReadModelReader(instance.pool);
    const courseIds = first.map((c) => c.course.courseId);
    const seen = new Map<string, number>();
    const readAll = async () => {
      for (const courseId of courseIds) {
        const view = await reader.courseRow(CLINIC, courseId, Date.now());
        const outcomes = await reader.row('course_outcomes', CLINIC, courseId);
        // Never missing, never older than what a read saw before.
        expect(view).toBeDefined();
        expect(outcomes).toBeDefined();
        expect(view!.revision).toBeGreaterThanOrEqual(seen.get(courseId) ?? 0);
        seen.set(courseId, view!.revision);
      }
      expect((await reader.clinicContributions(CLINIC)).length).toBeGreaterThanOrEqual(
        courseIds.length,
      );
    };
    await readAll();

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

    // Asked on the instance that does not project: recorded in the shared table only.
    const asked = (await Promise.all(instance.runners.map((r) => r.requestRebuild()))).map(
      (p) => p!,
    );
    for (const p of asked) expect(['requested', 'preparing', 'replaying']).toContain(p.state);
    // Asking again (on the projector this time) while one is open answers the same rebuild.
    expect((await projector.runners[0].requestRebuild())!.id).toBe(asked[0].id);

    const observed: RebuildProgress[] = [];
    const shared: RebuildProgress[] = [];
    const finished = () =>
      projector.runners.every((r) => ['done', 'failed'].includes(r.status().rebuild?.state ?? ''));
    // The projector's progress at every turn of the event loop, each change once: a rebuild of
    // this small log may take fewer milliseconds than one round of reads below.
    const watcher = (async () => {
      const last = new Map<string, string>();
      while (!finished()) {
        // The projector learns of a request asked elsewhere at its next poll (null until then).
        for (const r of projector.runners) {
          const progress = r.status().rebuild;
          const seen = progress && `${progress.id}:${progress.state}:${progress.eventsDone}`;
          if (!progress || last.get(r.projection.name) === seen) continue;
          last.set(r.projection.name, seen!);
          observed.push(progress);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const r of projector.runners) observed.push(r.status().rebuild!);
    })();
    // The instance reads the shared table as often as it can meanwhile.
    const sharedReader = (async () => {
      while (!finished()) {
        await instance.runners[0].refreshRebuild();
        shared.push(instance.runners[0].status().rebuild!);
      }
    })();
    while (!finished()) await readAll();
    await Promise.all([watcher, sharedReader]);
    writing = false;
    await writer;
    await append([...first, ...later], 1000); // what the writer had left
    await Promise.all(projector.runners.map((r) => r.rebuildFinished()));
    await waitFor(() => caughtUp(projector.runners), 30_000);
    await readAll();

    const total = first.concat(later).reduce((n, c) => n + c.course.appends.flat().length, 0);
    for (const r of projector.runners) {
      const name = r.projection.name;
      const mine = observed.filter((p) => p.id === r.status().rebuild!.id);
      expect(mine.map((p) => p.state)).toContain('replaying');
      const replaying = mine.filter((p) => p.state === 'replaying' && p.eventsDone > 0);
      expect(replaying.length).toBeGreaterThan(0);
      for (const p of replaying) {
        expect(p.eventsTotal).toBeGreaterThanOrEqual(p.eventsDone);
        expect(p.eventsPerSecond).toBeGreaterThan(0);
        expect(p.startedAt).not.toBeNull();
      }
      const done = mine.map((p) => p.eventsDone);
      expect(done).toEqual([...done].sort((a, b) => a - b)); // never goes back
      const final = r.status().rebuild!;
      expect(final).toMatchObject({ state: 'done', error: null, secondsLeft: 0 });
      expect(final.eventsDone).toBe(final.eventsTotal);
      expect(final.eventsDone).toBeGreaterThan(0);
      expect(final.eventsDone).toBeLessThanOrEqual(total);
      expect(asked.map((a) => a.id)).toContain(final.id);
      // The former copy and the shadow are gone.
      expect(await tablesLike(projector.pool, `${TABLES[name as keyof typeof TABLES]}__`)).toEqual(
        [],
      );
      // The instance reads the same progress from the shared table.
      await instance.runners.find((i) => i.projection.name === name)!.refreshRebuild();
      expect(instance.runners.find((i) => i.projection.name === name)!.status().rebuild).toEqual(
        final,
      );
    }
    // The instance saw the rebuild under way through the shared table.
    expect(shared.map((p) => p.state)).toContain('replaying');
    // The key and the indexes are the rebuilt copy's, once each.
    const id = projector.runners.find((r) => r.projection.name === COURSE_COMPLETION)!.status()
      .rebuild!.id;
    expect(await indexesOf(projector.pool, 'course_completion')).toEqual([
      `course_completion_by_clinic__r${id}`,
      `course_completion_by_last_contact__r${id}`,
      `course_completion_by_standing_risk__r${id}`,
      `course_completion_pkey__r${id}`,
    ]);

    // The same log built incrementally into another database, by the live path alone.
    const fresh = await database();
    const incremental = await openProcess(fresh.url);
    for (const r of incremental.runners) r.start();
    await waitFor(() => caughtUp(incremental.runners), 30_000);
    for (const table of Object.values(TABLES)) {
      const rebuilt = await rowsOf(projector.pool, table);
      expect(rebuilt).toHaveLength(80);
      expect(rebuilt).toEqual(await rowsOf(incremental.pool, table));
    }
    // The checkpoint counts the events of the switched-over copy, and goes on counting.
    const counts = 'SELECT name, position, events FROM projection_checkpoints ORDER BY name';
    expect((await projector.pool.query(counts)).rows).toEqual(
      (await incremental.pool.query(counts)).rows,
    );
  }, 180_000);

  it('is started over by the standby that takes the lock when the projector stops in the middle', async () => {
    const db = await database();
    const courses = Array.from({ length: 40 }, (_, n) => ({
      course: generateCourse(n, { clinicId: CLINIC }),
      step: 0,
    }));
    await append(courses, 1000);
    const slow = { rebuild: { ...SMALL_SLICES.rebuild, sliceEvents: 5 } };
    const active = await openProcess(db.url, slow);
    const standby = await openProcess(db.url, slow);
    await project(active, db.url);
    const takingOver = project(standby, db.url); // waits for the lock
    await waitFor(() => caughtUp(active.runners), 30_000);
    const before = await rowsOf(active.pool, 'course_completion');
    expect(before).toHaveLength(40);

    const runner = (p: Process) => p.runners.find((r) => r.projection.name === COURSE_COMPLETION)!;
    const asked = (await runner(standby).requestRebuild())!;
    expect(asked).toMatchObject({ state: 'requested', eventsDone: 0, startedAt: null });
    await waitFor(() => (runner(active).status().rebuild?.eventsDone ?? 0) > 50, 30_000);
    expect(runner(active).status().rebuild!.id).toBe(asked.id);
    expect(await tablesLike(active.pool, 'course_completion__')).toEqual([
      'course_completion__shadow',
    ]);

    // The projector stops mid-rebuild: the request goes back to waiting, the views stay. (Seen
    // before it lets the lock go: the standby takes the request up as soon as it has the lock.)
    await Promise.all(active.runners.map((r) => r.stop()));
    await runner(standby).refreshRebuild();
    expect(runner(standby).status().rebuild).toMatchObject({ id: asked.id, state: 'requested' });
    expect(await rowsOf(standby.pool, 'course_completion')).toEqual(before);
    await active.lease?.release();

    // The standby takes the lock, drops the half-built shadow and rebuilds from the start.
    await takingOver;
    await waitFor(() => runner(standby).status().rebuild?.state === 'done', 30_000);
    await Promise.all(standby.runners.map((r) => r.rebuildFinished()));
    const final = runner(standby).status().rebuild!;
    expect(final.id).toBe(asked.id);
    expect(final.eventsDone).toBe(courses.reduce((n, c) => n + c.course.appends.flat().length, 0));
    expect(await rowsOf(standby.pool, 'course_completion')).toEqual(before);
    expect(await tablesLike(standby.pool, 'course_completion__')).toEqual([]);

    // A second rebuild is a new one, with its own key and index names.
    const second = (await runner(active).requestRebuild())!;
    expect(second.id).toBeGreaterThan(asked.id);
    await waitFor(() => runner(standby).status().rebuild?.id === second.id, 30_000);
    await waitFor(() => runner(standby).status().rebuild?.state === 'done', 30_000);
    await Promise.all(standby.runners.map((r) => r.rebuildFinished()));
    expect(await indexesOf(standby.pool, 'course_completion')).toHaveLength(4);
    expect(await indexesOf(standby.pool, 'course_completion')).toContain(
      `course_completion_pkey__r${second.id}`,
    );
    expect(await rowsOf(standby.pool, 'course_completion')).toEqual(before);
  }, 180_000);

  describe('the switch-over beside a live commit', () => {
    let pool: Pool;
    let target: ProjectionTarget;
    let blocker: import('pg').PoolClient;
    const last = (events: { position: bigint }[]) => events[events.length - 1].position;
    const checkpoint = async () =>
      (
        await pool.query<{ position: string; events: number }>(
          'SELECT position, events FROM projection_checkpoints WHERE name = $1',
          [COURSE_COMPLETION],
        )
      ).rows[0];
    const courses = async () =>
      (await pool.query<{ course_id: string }>('SELECT course_id FROM course_completion')).rows
        .map((r) => r.course_id)
        .sort();
    /** Waits until `count` lock requests on the current table wait (behind the blocker). */
    const waiting = (count: number) =>
      waitFor(async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE relation = 'course_completion'::regclass AND NOT granted`,
        );
        return rows[0].n === count;
      }, 10_000);

    /** A shadow holding courses 0 and 1 (as the current copy does), flushed, and its request. */
    async function shadowOfTwo(): Promise<{ shadow: ShadowTarget; done: RebuildProgress }> {
      const rebuilds = target.rebuilds!;
      const asked = await rebuilds.requests.request(COURSE_COMPLETION);
      expect(await rebuilds.dropUnused(100)).toBe(true);
      const shadow = await rebuilds.createShadow(String(asked.id));
      await shadow.apply([...recorded(0), ...recorded(1)]);
      while (!(await shadow.flush(100)));
      return { shadow, done: { ...asked, state: 'done' } };
    }

    beforeEach(async () => {
      const db = await database();
      pool = await openSharedDatabase(db.url);
      processes.push({ pool, runners: [] });
      target = createPostgresReadModelTargets(pool).find((t) => t.name === COURSE_COMPLETION)!;
      await target.checkpoint();
      await target.commit(recorded(0), last(recorded(0)));
      await target.commit(recorded(1), last(recorded(1)));
      // Holds the current table so that both requests queue behind it, in a known order.
      blocker = await pool.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE course_completion IN SHARE MODE');
    });

    afterEach(() => blocker.release());

    it('fences a live commit that began before the switch-over committed', async () => {
      const { shadow, done } = await shadowOfTwo();
      const events = recorded(0).length + recorded(1).length;
      const switching = shadow.switchOver(last(recorded(1)), events, done);
      await waiting(1);
      const committing = target.commit(recorded(2), last(recorded(2)));
      await waiting(2);
      await blocker.query('COMMIT');
      await expect(switching).resolves.toBe(true);
      await expect(committing).rejects.toBeInstanceOf(ProjectionFencedError);
      // The fenced commit changed nothing: the shadow is the current copy, at its position.
      expect(await checkpoint()).toEqual({ position: last(recorded(1)).toString(), events });
      expect(await courses()).toHaveLength(2);
      expect(await tablesLike(pool, 'course_completion__')).toEqual(['course_completion__retired']);
      // As the runner does after a failed commit: forget, read the checkpoint, go on from it.
      target.discardUncommitted?.();
      expect(await target.checkpoint()).toBe(last(recorded(1)));
      await target.commit(recorded(2), last(recorded(2)));
      expect(await checkpoint()).toEqual({
        position: last(recorded(2)).toString(),
        events: events + recorded(2).length,
      });
      expect(await courses()).toHaveLength(3);
    });

    it('does not switch over when a live commit got ahead of the shadow first', async () => {
      const { shadow, done } = await shadowOfTwo();
      const committing = target.commit(recorded(2), last(recorded(2)));
      await waiting(1);
      const switching = shadow.switchOver(last(recorded(1)), 0, done);
      await waiting(2);
      await blocker.query('COMMIT');
      await expect(committing).resolves.toBeUndefined();
      await expect(switching).resolves.toBe(false);
      // Nothing of the switch-over happened: the current copy, its checkpoint and the request stay.
      expect(await checkpoint()).toEqual({
        position: last(recorded(2)).toString(),
        events: recorded(0).length + recorded(1).length + recorded(2).length,
      });
      expect(await courses()).toHaveLength(3);
      expect(await tablesLike(pool, 'course_completion__')).toEqual(['course_completion__shadow']);
      expect((await target.rebuilds!.requests.latest(COURSE_COMPLETION))!.state).toBe('requested');
    });
  });
});
