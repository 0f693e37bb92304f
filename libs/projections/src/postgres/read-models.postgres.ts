/**
 * The read models in PostgreSQL (DATABASE_URL): the projections' writes
 * (one ProjectionTarget per read model) and the API's queries (the
 * ReadModelReader port). Every access to the read-model tables of PostgreSQL
 * is in this file; the tables themselves come from the migrations of
 * @ipt/database (0001-read-models).
 *
 * A commit also fences: it moves the checkpoint only from the position this
 * process last read or wrote, so a projector that lost its advisory lock to a
 * standby (and does not know yet) can never apply a batch twice.
 *
 * A rebuild without an outage (rebuild/) replays into `<table>__shadow`
 * (created LIKE the current table, its key and indexes named `…__r<rebuild
 * id>`: index names are unique per schema), then one transaction takes the
 * current table's lock, checks the checkpoint has not gone past the shadow,
 * renames the current table to `<table>__retired` and the shadow to `<table>`
 * and moves the checkpoint. A live commit in flight then fails its fence and
 * the runner reloads; the retired copy is dropped afterwards.
 */
import { LRUCache } from 'lru-cache';
import { courseIdOf } from '@ipt/course';
import type { Pool, PoolClient } from 'pg';
import { inTransaction, whileAvailable } from '@ipt/database';
import type { RecordedEvent } from '@ipt/event-store';
import {
  CACHED_COURSES,
  RETIRED_SUFFIX,
  SHADOW_CACHED_COURSES,
  SHADOW_SUFFIX,
  courseRowColumns,
  courseRowOf,
  courseRowValues,
  foldCourseEvents,
  type CourseFoldSpec,
  type CourseRow,
  type StoredCourseRow,
} from '../course-fold-projection';
import type {
  LiveCopy,
  ProjectionTarget,
  ShadowTarget,
  TargetRebuilds,
} from '../projection-target';
import type { CourseListPage, CourseViewTable, ReadModelReader } from '../read-model-reader';
import {
  ENGAGEMENT_COLUMN_LIST,
  finishCourseView,
  readModelSpecs,
  type AtRiskCount,
  type CourseListQuery,
  type EngagementColumns,
} from '../read-models';
import {
  ENGAGEMENT_REASONS,
  noRecentSessionBound,
  type CourseSummaryContribution,
  type EngagementReason,
} from '../views';
import { copyRows } from './copy-rows';
import { FencedCheckpoint, ProjectionFencedError } from './fenced-checkpoint';
import { PostgresRebuildRequests, saveRebuildProgress } from './rebuild-requests.postgres';

export { ProjectionFencedError };

/** Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters in one). */
const ROWS_PER_STATEMENT = 1000;

/** New rows from which a COPY pays off (it costs round trips of its own; a live batch is small). */
const COPY_FROM_ROWS = 64;

export function createPostgresReadModelTargets(pool: Pool): ProjectionTarget[] {
  return readModelSpecs().map((spec) => postgresCourseFoldTarget(pool, spec));
}

export function postgresCourseFoldTarget<S>(pool: Pool, spec: CourseFoldSpec<S>): ProjectionTarget {
  const columns = courseRowColumns(spec as CourseFoldSpec<unknown>);
  const updates = columns
    .slice(1)
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');
  const cache = new LRUCache<string, CourseRow<S>>({ max: CACHED_COURSES });
  const checkpoint = new FencedCheckpoint(pool, spec.name);
  /**
   * Counts this target's switch-overs: a commit that began before one fails,
   * even when the shadow ended at the checkpoint the commit expects (its
   * cached rows were the former copy's).
   */
  let copyGeneration = 0;

  const loadRows = async (client: PoolClient, courseIds: string[], table = spec.table) => {
    const known = new Map<string, CourseRow<S>>();
    if (courseIds.length === 0) return known;
    const { rows } = await client.query<StoredCourseRow & { course_id: string }>(
      `SELECT course_id, clinic_id, revision, state FROM ${table} WHERE course_id = ANY($1)`,
      [courseIds],
    );
    for (const row of rows) known.set(row.course_id, courseRowOf<S>(row.course_id, row));
    return known;
  };

  /**
   * Writes the rows: those the table does not hold yet (not in `stored`) with
   * one COPY when there are many, the others with multi-row upserts.
   */
  const saveRows = async (
    client: PoolClient,
    rows: CourseRow<S>[],
    table: string,
    stored: ReadonlySet<string>,
  ) => {
    const fresh: CourseRow<S>[] = [];
    const held: CourseRow<S>[] = [];
    for (const row of rows) (stored.has(row.courseId) ? held : fresh).push(row);
    let upserts = rows;
    if (fresh.length >= COPY_FROM_ROWS) {
      await copyRows(
        client,
        table,
        columns,
        fresh.map((row) => courseRowValues(spec, row)),
      );
      upserts = held;
    }
    for (let start = 0; start < upserts.length; start += ROWS_PER_STATEMENT) {
      const chunk = upserts.slice(start, start + ROWS_PER_STATEMENT);
      const values: (string | number | null)[] = [];
      const tuples = chunk.map((row) => {
        const first = values.length;
        values.push(...courseRowValues(spec, row));
        return `(${columns.map((_, i) => `$${first + i + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}
         ON CONFLICT (course_id) DO UPDATE SET ${updates}`,
        values,
      );
    }
  };

  const transaction = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(pool, work);

  const shadowTable = spec.table + SHADOW_SUFFIX;
  const retiredTable = spec.table + RETIRED_SUFFIX;
  const requests = new PostgresRebuildRequests(pool);

  /**
   * The shadow copy of one rebuild: folded rows kept in memory (bounded), the
   * least recently touched ones written in batches. A batch is written while
   * the next events are folded (one write in flight at a time), so this
   * process and PostgreSQL work at once; the spec's indexes are built at the
   * switch-over, once, rather than kept up row by row.
   */
  const shadowCopy = (tag: string): ShadowTarget => {
    /** In the order last touched (a touched row moves to the end). */
    const rows = new Map<string, CourseRow<S>>();
    /** Courses of `rows` whose row the shadow table holds already (read back from it). */
    const inTable = new Set<string>();
    /** Nothing written yet: the shadow table is empty, no need to look a course up in it. */
    let empty = true;
    /** The batch being written, and how its write failed (thrown at the next call). */
    let writing: Promise<void> | undefined;
    let failure: unknown;
    /** The courses of the events `apply` is folding: their rows stay in memory until it is done. */
    let pinned: Set<string> | undefined;
    /**
     * Rows leave memory only once their write has committed, and not while the
     * events being folded need them (a write may commit while `apply` waits on a read).
     */
    const written = (batch: CourseRow<S>[]) => {
      for (const row of batch) {
        if (rows.get(row.courseId) === row && !pinned?.has(row.courseId)) {
          rows.delete(row.courseId);
          inTable.delete(row.courseId);
        } else inTable.add(row.courseId); // folded further meanwhile: the newer row stays
      }
    };
    const write = async (batch: CourseRow<S>[]) => {
      empty = false;
      await transaction((client) => saveRows(client, batch, shadowTable, inTable));
      written(batch);
    };
    /** Waits for the write in flight; its failure is this call's (the rows are still in memory). */
    const settled = async () => {
      await writing;
      writing = undefined;
      if (failure === undefined) return;
      const error = failure;
      failure = undefined;
      throw error;
    };
    return {
      async apply(events) {
        pinned = new Set(events.map((e) => courseIdOf(e)));
        try {
          const missing = empty ? [] : [...pinned].filter((id) => !rows.has(id));
          // A course not in memory was written by a committed batch, or never: read it back.
          const loaded =
            missing.length === 0
              ? new Map<string, CourseRow<S>>()
              : await transaction((client) => loadRows(client, missing, shadowTable));
          const touched = foldCourseEvents(spec, events, (id) => rows.get(id) ?? loaded.get(id));
          for (const row of touched) {
            rows.delete(row.courseId);
            rows.set(row.courseId, row);
            if (loaded.has(row.courseId)) inTable.add(row.courseId);
          }
        } finally {
          pinned = undefined;
        }
        if (rows.size <= SHADOW_CACHED_COURSES) return;
        await settled();
        // Over the bound: the least recently touched rows, down to half of it (most are courses
        // that have ended; one met again is read back).
        const batch: CourseRow<S>[] = [];
        for (const row of rows.values()) {
          if (batch.length >= rows.size - SHADOW_CACHED_COURSES / 2) break;
          batch.push(row);
        }
        writing = write(batch).catch((error: unknown) => {
          failure = error;
        });
      },
      async idle() {
        await writing;
      },
      async flush(maxRows) {
        await settled();
        const batch = [...rows.values()].slice(0, maxRows);
        if (batch.length > 0) await write(batch);
        return rows.size === 0;
      },
      async switchOver(position, events, done) {
        if (rows.size > 0) throw new Error(`${shadowTable}: switched over before it was flushed`);
        const switched = await transaction(async (client) => {
          // The spec's indexes, built once on the whole copy (kept up to date from here on).
          for (const index of spec.indexes ?? [])
            await client.query(
              `CREATE INDEX IF NOT EXISTS ${index.name}__r${tag} ON ${shadowTable} ${index.on}`,
            );
          // The table first, then the checkpoint: the order a live commit takes them in.
          await client.query(`LOCK TABLE ${spec.table} IN ACCESS EXCLUSIVE MODE`);
          const { rows: live } = await client.query<{ position: string }>(
            'SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
            [spec.name],
          );
          const at = live[0] ? BigInt(live[0].position) : undefined;
          if (at !== undefined && (position === undefined || position < at)) return false;
          await client.query(`ALTER TABLE ${spec.table} RENAME TO ${retiredTable}`);
          await client.query(`ALTER TABLE ${shadowTable} RENAME TO ${spec.table}`);
          if (position === undefined) {
            await client.query('DELETE FROM projection_checkpoints WHERE name = $1', [spec.name]);
          } else {
            await client.query(
              `INSERT INTO projection_checkpoints (name, position, updated_at, events)
               VALUES ($1, $2, now(), $3) ON CONFLICT (name) DO UPDATE
               SET position = EXCLUDED.position, updated_at = now(), events = EXCLUDED.events`,
              [spec.name, position.toString(), events],
            );
          }
          await saveRebuildProgress(client, done);
          // Before COMMIT: a live commit still in flight is fenced (it waits behind the table
          // lock taken above), and the cached rows, the former copy's, are forgotten. Should
          // the COMMIT fail, that commit is only retried.
          copyGeneration++;
          cache.clear();
          checkpoint.forget();
          return true;
        });
        // The next commit reads the checkpoint the switch-over wrote.
        return switched;
      },
    };
  };

  const rebuilds: TargetRebuilds = {
    requests,
    async live(): Promise<LiveCopy> {
      const { rows } = await pool.query<{ position: string; events: number | null }>(
        'SELECT position, events FROM projection_checkpoints WHERE name = $1',
        [spec.name],
      );
      return rows[0]
        ? { at: BigInt(rows[0].position), events: rows[0].events }
        : { at: undefined, events: 0 };
    },
    async dropUnused() {
      // Dropping a table in PostgreSQL unlinks its files: no need to empty it in slices first.
      await transaction(async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${shadowTable}`);
        await client.query(`DROP TABLE IF EXISTS ${retiredTable}`);
      });
      return true;
    },
    async createShadow(tag) {
      await transaction(async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${shadowTable}`);
        // Columns, types, collations and NOT NULL as the current copy has them.
        await client.query(`CREATE TABLE ${shadowTable} (LIKE ${spec.table} INCLUDING DEFAULTS)`);
        // The key now (a course met again is read back by it); the other indexes at the switch-over.
        await client.query(
          `ALTER TABLE ${shadowTable} ADD CONSTRAINT ${spec.table}_pkey__r${tag} PRIMARY KEY (course_id)`,
        );
      });
      return shadowCopy(tag);
    },
  };

  return {
    name: spec.name,
    readsPhi: spec.readsPhi,
    checkpoint: () => checkpoint.read(),
    rebuilds,
    async commit(events: RecordedEvent[], position: bigint) {
      // Fenced on what was known when the commit began: a switch-over meanwhile fails it.
      const from = await checkpoint.expectedNow();
      const generation = copyGeneration;
      const missing = [...new Set(events.map((e) => courseIdOf(e)))].filter((id) => !cache.has(id));
      const touched = await transaction(async (client) => {
        const loaded = await loadRows(client, missing);
        // The courses the table holds: cached rows were committed by this process.
        const stored = new Set<string>();
        const rows = foldCourseEvents(spec, events, (id) => {
          const row = cache.get(id) ?? loaded.get(id);
          if (row) stored.add(id);
          return row;
        });
        await saveRows(client, rows, spec.table, stored);
        await checkpoint.move(client, from, position, events.length);
        if (generation !== copyGeneration)
          throw new ProjectionFencedError(spec.name, "a rebuild's switch-over replaced the table");
        return rows;
      });
      checkpoint.committed(position);
      for (const row of touched) cache.set(row.courseId, row);
    },
    async reset() {
      await transaction(async (client) => {
        await client.query(`DELETE FROM ${spec.table}`);
        await client.query('DELETE FROM projection_checkpoints WHERE name = $1', [spec.name]);
      });
      cache.clear();
      checkpoint.cleared();
    },
    discardUncommitted() {
      // After a failed commit nothing here is trusted: rows and checkpoint are read again.
      cache.clear();
      checkpoint.forget();
    },
  };
}

/** Positional parameters for a query built in pieces. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export class PostgresReadModelReader implements ReadModelReader {
  constructor(private readonly pool: Pool) {}

  private async query<R extends object>(text: string, values: unknown[], name?: string) {
    return whileAvailable(async () => {
      const result = await this.pool.query<R>(name ? { name, text, values } : { text, values });
      return result.rows;
    });
  }

  async row(table: CourseViewTable, clinicId: string, courseId: string) {
    const [row] = await this.query<{ revision: number; view: string }>(
      `SELECT revision, view FROM ${table} WHERE course_id = $1 AND clinic_id = $2`,
      [courseId, clinicId],
      `read-${table}`,
    );
    return row;
  }

  async courseRow(clinicId: string, courseId: string, nowMs: number) {
    const [row] = await this.query<{ revision: number; view: string } & EngagementColumns>(
      `SELECT revision, view, ${ENGAGEMENT_COLUMN_LIST} FROM course_completion
        WHERE course_id = $1 AND clinic_id = $2`,
      [courseId, clinicId],
      'read-course-view',
    );
    return row && { revision: row.revision, view: finishCourseView(row.view, row, nowMs) };
  }

  /** The SQL condition for `atRisk` (see ReadModelQueries: the same rule, the same indexes). */
  private atRiskCondition(params: Params, clinicId: string, atRisk: boolean, nowMs: number) {
    const bound = noRecentSessionBound(nowMs);
    return atRisk
      ? `((clinic_id = ${params.add(clinicId)} AND status = 'active' AND at_risk_standing = 1)
          OR (clinic_id = ${params.add(clinicId)} AND status = 'active' AND last_contact_ms <= ${params.add(bound)}))`
      : `status = 'active' AND at_risk_standing = 0 AND last_contact_ms > ${params.add(bound)}`;
  }

  async listCourses(query: CourseListQuery): Promise<CourseListPage> {
    if (query.atRisk !== undefined && query.status !== undefined && query.status !== 'active')
      return { views: [], keys: [] };
    const params = new Params();
    const where: string[] = [];
    if (query.atRisk === true)
      where.push(this.atRiskCondition(params, query.clinicId, true, query.nowMs));
    else where.push(`clinic_id = ${params.add(query.clinicId)}`);
    if (query.atRisk === false)
      where.push(this.atRiskCondition(params, query.clinicId, false, query.nowMs));
    else if (query.atRisk === undefined && query.status)
      where.push(`status = ${params.add(query.status)}`);
    if (query.therapistId) where.push(`therapist_id = ${params.add(query.therapistId)}`);
    if (query.after) {
      const at = params.add(query.after.enrolledAt);
      where.push(
        `(enrolled_at < ${at} OR (enrolled_at = ${at} AND course_id < ${params.add(query.after.courseId)}))`,
      );
    }
    const rows = await this.query<
      { course_id: string; enrolled_at: string; view: string } & EngagementColumns
    >(
      `SELECT course_id, enrolled_at, view, ${ENGAGEMENT_COLUMN_LIST} FROM course_completion
        WHERE ${where.join(' AND ')}
        ORDER BY enrolled_at DESC, course_id DESC LIMIT ${params.add(query.limit)}`,
      params.values,
    );
    return {
      views: rows.map((r) => finishCourseView(r.view, r, query.nowMs)),
      keys: rows.map((r) => ({ enrolledAt: r.enrolled_at, courseId: r.course_id })),
    };
  }

  async countAtRisk(clinicId: string, nowMs: number): Promise<number> {
    const params = new Params();
    const [row] = await this.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM course_completion WHERE ${this.atRiskCondition(params, clinicId, true, nowMs)}`,
      params.values,
    );
    return row.n;
  }

  async countAtRiskByClinicAndReason(nowMs: number): Promise<AtRiskCount[]> {
    const rows = await this.query<{ clinic_id: string } & Record<EngagementReason, number>>(
      `SELECT clinic_id,
              SUM(risk_missed_sessions)::bigint AS missed_sessions,
              COUNT(*) FILTER (WHERE last_contact_ms <= $1) AS no_recent_session,
              SUM(risk_homework_not_done)::bigint AS homework_not_done,
              SUM(risk_deteriorating)::bigint AS deteriorating
         FROM course_completion WHERE status = 'active'
         GROUP BY clinic_id ORDER BY clinic_id`,
      [noRecentSessionBound(nowMs)],
    );
    return rows.flatMap((row) =>
      ENGAGEMENT_REASONS.map((reason) => ({
        clinicId: row.clinic_id,
        reason,
        courses: row[reason],
      })),
    );
  }

  async clinicContributions(clinicId: string): Promise<CourseSummaryContribution[]> {
    const rows = await this.query<{ contribution: string }>(
      'SELECT contribution FROM clinic_summary_courses WHERE clinic_id = $1 AND contribution IS NOT NULL',
      [clinicId],
      'read-clinic-contributions',
    );
    return rows.map((r) => JSON.parse(r.contribution) as CourseSummaryContribution);
  }

  async checkpoints(): Promise<string> {
    const [row] = await this.query<{ positions: string | null }>(
      "SELECT string_agg(name || ':' || position, ',' ORDER BY name) AS positions FROM projection_checkpoints",
      [],
      'read-checkpoints',
    );
    return row?.positions ?? '';
  }
}
