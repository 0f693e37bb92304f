/**
 * A projection that keeps one row per course: the fold state of a pure read
 * model (views/) plus what queries need. A batch loads each touched course
 * once, folds its events, and writes each row once.
 *
 * A rebuild (projection.ts, ProjectionCopies) folds into a shadow table
 * `<table>__shadow` and keeps the rows it folds in memory, written only when
 * evicted from a bounded cache or flushed at the end: a course is written
 * about once however many events it has, and memory stays flat however long
 * the log. The switch-over renames the current table to `<table>__retired`
 * and the shadow to `<table>`; the retired copy is then deleted in slices.
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
import type { Projection, ShadowCopy } from './projection';
import { migrateCheckpoints } from './projection-runner';
import type { EventRecording } from './views';

export interface CourseRow<S> {
  courseId: string;
  clinicId: string;
  revision: number;
  state: S;
}

/**
 * An index of the table. A shadow copy's indexes are named `<name>__r<tag>`
 * (index names are unique in a SQLite file, and the current copy's are taken);
 * they keep that name after the switch-over, so either form counts as present.
 */
export interface IndexSpec {
  name: string;
  /** The indexed columns, e.g. `(clinic_id, enrolled_at DESC)`. */
  on: string;
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
  indexes?: IndexSpec[];
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
/** The event as a fold may see it: with PHI only for a fold that shows it (privacy.md). */
function decodeForFold(spec: CourseFoldSpec<unknown>, recorded: RecordedEvent): CourseEvent {
  return decodeCourseEvent(spec.readsPhi ? recorded : withoutPhi(recorded));
}

export function foldCourseEvents<S>(
  spec: CourseFoldSpec<S>,
  events: readonly RecordedEvent[],
  known: (courseId: string) => CourseRow<S> | undefined,
): CourseRow<S>[] {
  const touched = new Map<string, CourseRow<S>>();
  for (const recorded of events) {
    const event = decodeForFold(spec as CourseFoldSpec<unknown>, recorded);
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

/**
 * Rows a rebuild keeps in memory (write-back): enough for the courses under way
 * at once in a large clinic network, so each course is written about once; a
 * course evicted and met again is written again and read back. Smaller than the
 * live cache: a rebuild runs beside the live projections, and a large old
 * generation makes the collector's pauses long.
 */
export const SHADOW_CACHED_COURSES = 5_000;

export const SHADOW_SUFFIX = '__shadow';
export const RETIRED_SUFFIX = '__retired';

/** The rows of one table of a course-fold projection: loads, folds and saves them. */
class CourseFoldTable<S> {
  private statements?: {
    load: SqliteStatement<[string]>;
    save: SqliteStatement<unknown[]>;
  };
  private statementsDb?: SqliteDatabase;

  constructor(
    private readonly spec: CourseFoldSpec<S>,
    readonly table: string,
  ) {}

  decode(recorded: RecordedEvent): CourseEvent {
    return decodeForFold(this.spec as CourseFoldSpec<unknown>, recorded);
  }

  /** Creates the table when missing, and the given indexes (named as they should be). */
  create(db: SqliteDatabase, indexes: IndexSpec[]): void {
    const columns = Object.entries(this.spec.columns).map(([name, type]) => `${name} ${type}`);
    // The fold state comes last: the small query columns before it stay on the row's
    // first page, so a filter or a sort on them never reads a long state's overflow pages.
    db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (
      course_id TEXT PRIMARY KEY,
      clinic_id TEXT NOT NULL,
      revision INTEGER NOT NULL${columns.map((c) => `,\n      ${c}`).join('')},
      state TEXT NOT NULL
    )`);
    for (const index of indexes)
      db.exec(`CREATE INDEX IF NOT EXISTS ${index.name} ON ${this.table} ${index.on}`);
  }

  private prepared(db: SqliteDatabase) {
    if (!this.statements || this.statementsDb !== db) {
      this.statementsDb = db;
      const names = courseRowColumns(this.spec as CourseFoldSpec<unknown>);
      this.statements = {
        load: db.prepare(
          `SELECT clinic_id, revision, state FROM ${this.table} WHERE course_id = ?`,
        ),
        // An upsert changes the row in place: indexes on columns that never change
        // (clinic, enrollment) are left alone, unlike INSERT OR REPLACE.
        save: db.prepare(
          `INSERT INTO ${this.table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
           ON CONFLICT(course_id) DO UPDATE SET ${names
             .slice(1)
             .map((n) => `${n} = excluded.${n}`)
             .join(', ')}`,
        ),
      };
    }
    return this.statements;
  }

  /** The stored row of a course, if any. */
  stored(db: SqliteDatabase, courseId: string): CourseRow<S> | undefined {
    const stored = this.prepared(db).load.get(courseId) as StoredCourseRow | undefined;
    return stored && courseRowOf<S>(courseId, stored);
  }

  /** The stored row of a course, or a new one (null state) for the event's clinic. */
  load(db: SqliteDatabase, courseId: string, recorded: RecordedEvent): CourseRow<S> {
    return (
      this.stored(db, courseId) ?? {
        courseId,
        clinicId: clinicOf(recorded),
        revision: -1,
        state: null as S,
      }
    );
  }

  /** Writes the row; false when there is nothing to show yet (events before an enrollment). */
  save(db: SqliteDatabase, row: CourseRow<S>): boolean {
    if (row.state === null) return false;
    this.prepared(db).save.run(...courseRowValues(this.spec, row));
    return true;
  }

  /**
   * Folds one event into the row, unless the row already reflects it (the log
   * may deliver such an event again after a switch-over: folding it twice would
   * double-count). True when the row changed.
   */
  fold(row: CourseRow<S>, recorded: RecordedEvent, event: CourseEvent): boolean {
    if (recorded.revision <= row.revision) return false;
    row.state = this.spec.evolve(row.state, event, recordingOf(recorded)) as S;
    row.revision = recorded.revision;
    return true;
  }
}

/** Deletes up to `maxRows` rows of `table`, and drops it once empty. True when it is gone. */
function dropInSlices(db: SqliteDatabase, table: string, maxRows: number): boolean {
  const exists = db
    .prepare(`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .get(table);
  if (!exists) return true;
  const deleted = db
    .prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} LIMIT ?)`)
    .run(maxRows);
  if (Number(deleted.changes) >= maxRows) return false;
  // Empty now: dropping it frees only its root pages.
  db.exec(`DROP TABLE ${table}`);
  return true;
}

/** The shadow copy of a rebuild: write-back rows in a bounded cache, evicted rows written at once. */
class ShadowFoldTable<S> implements ShadowCopy {
  private readonly rows: LRUCache<string, CourseRow<S>>;
  private readonly dirty = new Set<string>();
  private db?: SqliteDatabase;

  constructor(
    private readonly table: CourseFoldTable<S>,
    private readonly liveTable: string,
  ) {
    this.rows = new LRUCache<string, CourseRow<S>>({
      max: SHADOW_CACHED_COURSES,
      // Called inside `apply`'s transaction: an evicted row is written before it is gone.
      dispose: (row, courseId, reason) => {
        if (reason !== 'evict' || !this.dirty.delete(courseId)) return;
        this.table.save(this.db!, row);
      },
    });
  }

  apply(db: SqliteDatabase, events: RecordedEvent[]): void {
    this.db = db;
    for (const recorded of events) {
      const event = this.table.decode(recorded);
      const courseId = courseIdOf(recorded);
      let row = this.rows.get(courseId);
      if (!row) {
        row = this.table.load(db, courseId, recorded);
        this.rows.set(courseId, row);
      }
      if (this.table.fold(row, recorded, event)) this.dirty.add(courseId);
    }
  }

  flush(db: SqliteDatabase, maxRows: number): boolean {
    let written = 0;
    for (const courseId of this.dirty) {
      if (written >= maxRows) return false;
      const row = this.rows.peek(courseId);
      if (row) this.table.save(db, row);
      this.dirty.delete(courseId);
      written++;
    }
    return true;
  }

  promote(db: SqliteDatabase): void {
    if (this.dirty.size > 0) throw new Error(`${this.table.table}: promoted before it was flushed`);
    db.exec(`ALTER TABLE ${this.liveTable} RENAME TO ${this.liveTable}${RETIRED_SUFFIX}`);
    db.exec(`ALTER TABLE ${this.table.table} RENAME TO ${this.liveTable}`);
    this.rows.clear();
  }
}

export function courseFoldProjection<S>(spec: CourseFoldSpec<S>): Projection {
  const extra = Object.keys(spec.columns);
  const live = new CourseFoldTable(spec, spec.table);
  const cache = new LRUCache<string, CourseRow<S>>({ max: CACHED_COURSES });

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
      // An index counts as present under its own name or a shadow's (`<name>__r<tag>`).
      const present = (db.pragma(`index_list(${spec.table})`) as { name: string }[]).map(
        (i) => i.name,
      );
      live.create(
        db,
        (spec.indexes ?? []).filter(
          (index) => !present.some((n) => n === index.name || n.startsWith(`${index.name}__r`)),
        ),
      );
    },
    reset(db) {
      db.exec(`DELETE FROM ${spec.table}`);
      cache.clear();
    },
    discardUncommitted() {
      cache.clear();
    },
    apply(db, events) {
      const touched = foldCourseEvents(
        spec,
        events,
        (courseId) => cache.get(courseId) ?? live.stored(db, courseId),
      );
      for (const row of touched) {
        live.save(db, row);
        cache.set(row.courseId, row);
      }
    },
    copies: {
      dropUnused(db, maxRows) {
        for (const table of [spec.table + SHADOW_SUFFIX, spec.table + RETIRED_SUFFIX])
          if (!dropInSlices(db, table, maxRows)) return false;
        return true;
      },
      createShadow(db, tag) {
        const shadow = new CourseFoldTable(spec, spec.table + SHADOW_SUFFIX);
        shadow.create(
          db,
          (spec.indexes ?? []).map((index) => ({ ...index, name: `${index.name}__r${tag}` })),
        );
        return new ShadowFoldTable(shadow, spec.table);
      },
    },
  };
}
