/**
 * A projection that keeps one row per course: the fold state of a pure read
 * model (views/) plus what queries need. A batch loads each touched course
 * once, folds its events, and writes each row once.
 */
import { LRUCache } from 'lru-cache';
import {
  clinicOf,
  courseIdOf,
  decodeCourseEvent,
  withoutPhi,
  recordedAtOf,
  type CourseEvent,
  type StoredEvent,
} from '@ipt/course';
import type { RecordedEvent, SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { Projection } from './projection';
import { migrateCheckpoints } from './projection-runner';
import type { EventRecording } from './views';

export interface CourseRow<S> {
  courseId: string;
  clinicId: string;
  revision: number;
  state: S;
}

export interface CourseFoldSpec<S> {
  name: string;
  table: string;
  /**
   * Extra columns (name → SQL type) that queries filter on, derived from the
   * state; small ones first (a long `view` last). A table that lacks one of
   * them is dropped and replayed at start.
   */
  columns: Record<string, string>;
  indexes?: string[];
  evolve(state: S | null, event: CourseEvent, recording: EventRecording): S | null;
  /** Its view shows PHI: the runner opens `phi` for it; every other fold reads `phi` as null. */
  readsPhi?: boolean;
  /** Values of the extra columns (and `view`, the answer a read serves as it is). */
  columnValues(row: CourseRow<S>): Record<string, string | number | null>;
}

/** Where the event sits in its stream and when it was recorded, as the folds take it. */
export function recordingOf(event: StoredEvent): EventRecording {
  return { revision: event.revision, recordedAt: recordedAtOf(event) };
}

/** A row as stored: the fold state as JSON text. */
export interface StoredCourseRow {
  clinic_id: string;
  revision: number;
  state: string;
}

export function courseRowOf<S>(courseId: string, stored: StoredCourseRow): CourseRow<S> {
  return {
    courseId,
    clinicId: stored.clinic_id,
    revision: stored.revision,
    state: JSON.parse(stored.state) as S,
  };
}

/**
 * Folds a batch of events into the rows of the courses they touch, each
 * course's row looked up once through `known` (memory, then the table). The
 * rows to write, in first-touched order; none for events before an enrollment.
 * Shared by every database's adapter.
 */
export function foldCourseEvents<S>(
  spec: CourseFoldSpec<S>,
  events: readonly RecordedEvent[],
  known: (courseId: string) => CourseRow<S> | undefined,
): CourseRow<S>[] {
  const touched = new Map<string, CourseRow<S>>();
  for (const recorded of events) {
    // A fold that shows no PHI never holds it (privacy.md: PHI only where a view shows it).
    const event = decodeCourseEvent(spec.readsPhi ? recorded : withoutPhi(recorded));
    const courseId = courseIdOf(recorded);
    const row = touched.get(courseId) ??
      known(courseId) ?? {
        courseId,
        clinicId: clinicOf(recorded),
        revision: -1,
        state: null as S,
      };
    // The log may deliver an event the row already reflects only after a
    // rebuild race; folding it twice would double-count, so skip it.
    if (recorded.revision <= row.revision) continue;
    const next = spec.evolve(row.state, event, recordingOf(recorded));
    touched.set(courseId, { ...row, revision: recorded.revision, state: next as S });
  }
  // Events before an enrollment: nothing to show.
  return [...touched.values()].filter((row) => row.state !== null);
}

/** The stored column names of a fold's table, in the order of courseRowValues. */
export function courseRowColumns(spec: CourseFoldSpec<unknown>): string[] {
  return ['course_id', 'clinic_id', 'revision', 'state', ...Object.keys(spec.columns)];
}

/** The values of a row to store, in the order of courseRowColumns. */
export function courseRowValues<S>(
  spec: CourseFoldSpec<S>,
  row: CourseRow<S>,
): (string | number | null)[] {
  const values = spec.columnValues(row);
  return [
    row.courseId,
    row.clinicId,
    row.revision,
    JSON.stringify(row.state),
    ...Object.keys(spec.columns).map((c) => values[c] ?? null),
  ];
}

/** Fold states kept in memory: a projection is its table's only writer, so they stay true. */
export const CACHED_COURSES = 20_000;

export function courseFoldProjection<S>(spec: CourseFoldSpec<S>): Projection {
  const extra = Object.keys(spec.columns);
  const cache = new LRUCache<string, CourseRow<S>>({ max: CACHED_COURSES });
  const remember = (row: CourseRow<S>): void => {
    cache.set(row.courseId, row);
  };
  let statements: { load: SqliteStatement<[string]>; save: SqliteStatement<unknown[]> } | undefined;
  let statementsDb: SqliteDatabase | undefined;
  const prepared = (db: SqliteDatabase) => {
    if (!statements || statementsDb !== db) {
      statementsDb = db;
      const names = courseRowColumns(spec as CourseFoldSpec<unknown>);
      statements = {
        load: db.prepare(
          `SELECT clinic_id, revision, state FROM ${spec.table} WHERE course_id = ?`,
        ),
        // An upsert changes the row in place: indexes on columns that never change
        // (clinic, enrollment) are left alone, unlike INSERT OR REPLACE.
        save: db.prepare(
          `INSERT INTO ${spec.table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
           ON CONFLICT(course_id) DO UPDATE SET ${names
             .slice(1)
             .map((n) => `${n} = excluded.${n}`)
             .join(', ')}`,
        ),
      };
    }
    return statements;
  };

  return {
    name: spec.name,
    readsPhi: spec.readsPhi === true,
    migrate(db) {
      const existing = (db.pragma(`table_info(${spec.table})`) as { name: string }[]).map(
        (c) => c.name,
      );
      if (existing.length > 0 && extra.some((c) => !existing.includes(c))) {
        // Written by an older version (its fold state may differ too): replay it from the log.
        migrateCheckpoints(db);
        db.exec(`DROP TABLE ${spec.table}`);
        db.prepare('DELETE FROM projection_checkpoints WHERE name = ?').run(spec.name);
        cache.clear();
      }
      const columns = Object.entries(spec.columns).map(([name, type]) => `${name} ${type}`);
      // The fold state comes last: the small query columns before it stay on the row's
      // first page, so a filter or a sort on them never reads a long state's overflow pages.
      db.exec(`CREATE TABLE IF NOT EXISTS ${spec.table} (
        course_id TEXT PRIMARY KEY,
        clinic_id TEXT NOT NULL,
        revision INTEGER NOT NULL${columns.map((c) => `,\n        ${c}`).join('')},
        state TEXT NOT NULL
      )`);
      for (const index of spec.indexes ?? []) db.exec(index);
    },
    reset(db) {
      db.exec(`DELETE FROM ${spec.table}`);
      cache.clear();
    },
    discardUncommitted() {
      cache.clear();
    },
    apply(db, events) {
      const { load, save } = prepared(db);
      const touched = foldCourseEvents(spec, events, (courseId) => {
        const cached = cache.get(courseId);
        if (cached) return cached;
        const stored = load.get(courseId) as StoredCourseRow | undefined;
        return stored && courseRowOf(courseId, stored);
      });
      for (const row of touched) {
        save.run(...courseRowValues(spec, row));
        remember(row);
      }
    },
  };
}
