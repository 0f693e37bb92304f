/**
 * The three read models of domain.md as projections, and the queries the
 * views serve from them. Each projection folds independently with its own
 * checkpoint, so each can be rebuilt alone.
 */
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { CourseStatus } from '@ipt/course';
import { courseFoldProjection, type CourseFoldSpec } from './course-fold-projection';
import type { Projection } from './projection';
import {
  ENGAGEMENT_REASONS,
  courseEngagementBasis,
  engagementAt,
  evolveCourseFolds,
  evolveOutcomes,
  noRecentSessionBound,
  summaryContribution,
  toCompletionView,
  toOutcomesView,
  type CourseCompletionState,
  type CourseFolds,
  type CourseOutcomesState,
  type CourseSummaryContribution,
  type EngagementBasis,
  type EngagementReason,
  type StandingReason,
} from './views';

export const COURSE_COMPLETION = 'course-completion';
export const COURSE_OUTCOMES = 'course-outcomes';
export const CLINIC_SUMMARY = 'clinic-summary';

/** The stored course view of api.md: the completion view plus the clinic; `engagement` is added when read. */
export function courseView(completion: CourseCompletionState, clinicId: string) {
  return { ...toCompletionView(completion), clinicId };
}

/**
 * The engagement basis as stored in course_completion: time-independent
 * facts only. `last_contact_ms` is null on a closed course.
 */
export interface EngagementColumns {
  last_contact_ms: number | null;
  patient_missed_since_last_session: number | null;
  risk_missed_sessions: number | null;
  risk_homework_not_done: number | null;
  risk_deteriorating: number | null;
}

const STANDING_REASON_COLUMNS: Record<StandingReason, keyof EngagementColumns> = {
  missed_sessions: 'risk_missed_sessions',
  homework_not_done: 'risk_homework_not_done',
  deteriorating: 'risk_deteriorating',
};

export const ENGAGEMENT_COLUMN_LIST =
  'last_contact_ms, patient_missed_since_last_session, risk_missed_sessions, risk_homework_not_done, risk_deteriorating';

function engagementColumns(basis: EngagementBasis | null) {
  const has = (reason: StandingReason) =>
    basis ? Number(basis.standingReasons.includes(reason)) : 0;
  return {
    last_contact_ms: basis?.lastContactMs ?? null,
    patient_missed_since_last_session: basis?.patientMissedSinceLastSession ?? null,
    risk_missed_sessions: has('missed_sessions'),
    risk_homework_not_done: has('homework_not_done'),
    risk_deteriorating: has('deteriorating'),
    at_risk_standing: basis ? Number(basis.standingReasons.length > 0) : 0,
  };
}

export function engagementBasisOf(row: EngagementColumns): EngagementBasis | null {
  if (row.last_contact_ms === null) return null;
  return {
    lastContactMs: row.last_contact_ms,
    patientMissedSinceLastSession: row.patient_missed_since_last_session ?? 0,
    standingReasons: (Object.keys(STANDING_REASON_COLUMNS) as StandingReason[]).filter(
      (reason) => row[STANDING_REASON_COLUMNS[reason]] === 1,
    ),
  };
}

/**
 * The stored view JSON finished with `engagement` at `nowMs`. Rows are served
 * as stored text without parsing them again, so the member is appended to the
 * object's text (a stored view is always a JSON object).
 */
export function finishCourseView(view: string, row: EngagementColumns, nowMs: number): string {
  const engagement = JSON.stringify(engagementAt(engagementBasisOf(row), nowMs));
  return `${view.slice(0, view.lastIndexOf('}'))},"engagement":${engagement}}`;
}

/**
 * The read models' tables and folds, whatever the database: each adapter
 * (SQLite below, PostgreSQL in postgres/) builds its projection from these.
 */
export function readModelSpecs(): CourseFoldSpec<unknown>[] {
  return [
    foldSpec<CourseFolds>({
      name: COURSE_COMPLETION,
      table: 'course_completion',
      columns: {
        therapist_id: 'TEXT',
        status: 'TEXT',
        enrolled_at: 'TEXT',
        last_contact_ms: 'INTEGER',
        patient_missed_since_last_session: 'INTEGER',
        risk_missed_sessions: 'INTEGER',
        risk_homework_not_done: 'INTEGER',
        risk_deteriorating: 'INTEGER',
        at_risk_standing: 'INTEGER',
        view: 'TEXT',
      },
      indexes: [
        {
          name: 'course_completion_by_clinic',
          on: '(clinic_id, enrolled_at DESC, course_id DESC)',
        },
        // The at-risk condition is an OR of a range on the last contact and the standing
        // reasons: one index for each side, so neither is a scan of the clinic's courses.
        // Both end with the list order's keys: a page is chosen from the indexes alone.
        {
          name: 'course_completion_by_last_contact',
          on: '(clinic_id, status, last_contact_ms, enrolled_at, course_id)',
        },
        {
          name: 'course_completion_by_standing_risk',
          on: '(clinic_id, status, at_risk_standing, last_contact_ms, enrolled_at, course_id)',
        },
      ],
      evolve: evolveCourseFolds,
      // The course view shows patientRef: the only read model holding PHI, nulled on erasure.
      readsPhi: true,
      columnValues: (row) => {
        const { completion, outcomes } = row.state;
        if (!completion) return {};
        return {
          therapist_id: completion.therapistId,
          status: completion.status,
          enrolled_at: completion.enrolledAt,
          ...engagementColumns(courseEngagementBasis(completion, outcomes)),
          view: JSON.stringify(courseView(completion, row.clinicId)),
        };
      },
    }),
    foldSpec<CourseOutcomesState>({
      name: COURSE_OUTCOMES,
      table: 'course_outcomes',
      columns: { view: 'TEXT' },
      evolve: evolveOutcomes,
      columnValues: (row) => ({ view: JSON.stringify(toOutcomesView(row.state)) }),
    }),
    foldSpec<CourseFolds>({
      name: CLINIC_SUMMARY,
      table: 'clinic_summary_courses',
      columns: { contribution: 'TEXT' },
      indexes: [{ name: 'clinic_summary_by_clinic', on: '(clinic_id)' }],
      evolve: evolveCourseFolds,
      columnValues: (row) => ({
        contribution:
          row.state.completion && row.state.outcomes
            ? JSON.stringify(
                summaryContribution(
                  toCompletionView(row.state.completion),
                  toOutcomesView(row.state.outcomes),
                ),
              )
            : null,
      }),
    }),
  ];
}

const foldSpec = <S>(spec: CourseFoldSpec<S>) => spec as unknown as CourseFoldSpec<unknown>;

export function createReadModelProjections(): Projection[] {
  return readModelSpecs().map((spec) => courseFoldProjection(spec));
}

export interface CourseListQuery {
  clinicId: string;
  status?: CourseStatus;
  therapistId?: string;
  /**
   * true: active courses at risk at `nowMs`; false: active courses not at
   * risk; absent: every course. A closed course is neither (engagement null).
   */
  atRisk?: boolean;
  /** The time of the request: when `atRisk` is given, and for each item's engagement. */
  nowMs: number;
  limit: number;
  /** Keyset position: the last item of the previous page. */
  after?: { enrolledAt: string; courseId: string };
}

export interface AtRiskCount {
  clinicId: string;
  reason: EngagementReason;
  courses: number;
}

/** Reads the read models. Every query is scoped by the caller's clinic. */
export class ReadModelQueries {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(private readonly db: SqliteDatabase) {}

  /** Prepared once, on first use (the projections create the tables at start). */
  private statement(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** A row of one read model table, only when it belongs to the clinic. */
  row(table: 'course_completion' | 'course_outcomes', clinicId: string, courseId: string) {
    return this.statement(
      `SELECT revision, view FROM ${table} WHERE course_id = ? AND clinic_id = ?`,
    ).get(courseId, clinicId) as { revision: number; view: string } | undefined;
  }

  /** The course view of one course, its engagement taken at `nowMs`. */
  courseRow(clinicId: string, courseId: string, nowMs: number) {
    const row = this.statement(
      `SELECT revision, view, ${ENGAGEMENT_COLUMN_LIST} FROM course_completion WHERE course_id = ? AND clinic_id = ?`,
    ).get(courseId, clinicId) as
      ({ revision: number; view: string } & EngagementColumns) | undefined;
    return row && { revision: row.revision, view: finishCourseView(row.view, row, nowMs) };
  }

  /**
   * The SQL condition (and its parameters) for `atRisk`: a course is at risk
   * when a standing reason holds OR its last contact is at or before the
   * no_recent_session bound. Each side of the OR is a search of its own index
   * (SQLite's multi-index OR), so the cost follows the number of courses at
   * risk, not the size of the clinic.
   */
  private atRiskCondition(clinicId: string, atRisk: boolean, nowMs: number) {
    const bound = noRecentSessionBound(nowMs);
    return atRisk
      ? {
          sql: `((clinic_id = ? AND status = 'active' AND at_risk_standing = 1)
             OR (clinic_id = ? AND status = 'active' AND last_contact_ms <= ?))`,
          params: [clinicId, clinicId, bound],
        }
      : {
          sql: `status = 'active' AND at_risk_standing = 0 AND last_contact_ms > ?`,
          params: [bound],
        };
  }

  /** The page's views, and the keyset position of each (a cursor). */
  listCourses(query: CourseListQuery): {
    views: string[];
    keys: { enrolledAt: string; courseId: string }[];
  } {
    // Only active courses are at risk or not: a filter on a closed status leaves nothing.
    if (query.atRisk !== undefined && query.status !== undefined && query.status !== 'active')
      return { views: [], keys: [] };
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.atRisk === true) {
      // The clinic is inside each side of the OR: a clinic condition outside it would
      // let the planner walk the clinic's index instead of the two risk indexes.
      const condition = this.atRiskCondition(query.clinicId, true, query.nowMs);
      where.push(condition.sql);
      params.push(...condition.params);
    } else {
      where.push('clinic_id = ?');
      params.push(query.clinicId);
    }
    if (query.atRisk === false) {
      const condition = this.atRiskCondition(query.clinicId, false, query.nowMs);
      where.push(condition.sql);
      params.push(...condition.params);
    } else if (query.atRisk === undefined && query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.therapistId) {
      where.push('therapist_id = ?');
      params.push(query.therapistId);
    }
    if (query.after) {
      where.push('(enrolled_at < ? OR (enrolled_at = ? AND course_id < ?))');
      params.push(query.after.enrolledAt, query.after.enrolledAt, query.after.courseId);
    }
    params.push(query.limit);
    // The page's rows are chosen and sorted on their keys first, then only those rows are
    // read whole: the sort never carries the views of every course that matched.
    const rows = this.statement(
      `SELECT course_id, enrolled_at, view, ${ENGAGEMENT_COLUMN_LIST} FROM course_completion
         WHERE rowid IN (SELECT rowid FROM course_completion WHERE ${where.join(' AND ')}
                         ORDER BY enrolled_at DESC, course_id DESC LIMIT ?)
         ORDER BY enrolled_at DESC, course_id DESC`,
    ).all(...params) as ({
      course_id: string;
      enrolled_at: string;
      view: string;
    } & EngagementColumns)[];
    return {
      views: rows.map((r) => finishCourseView(r.view, r, query.nowMs)),
      keys: rows.map((r) => ({ enrolledAt: r.enrolled_at, courseId: r.course_id })),
    };
  }

  /** The clinic's active courses at risk at `nowMs` (the summary's `atRisk`). */
  countAtRisk(clinicId: string, nowMs: number): number {
    const condition = this.atRiskCondition(clinicId, true, nowMs);
    const row = this.statement(
      `SELECT COUNT(*) AS n FROM course_completion WHERE ${condition.sql}`,
    ).get(...condition.params) as { n: number };
    return row.n;
  }

  /**
   * Active courses at risk at `nowMs`, per clinic and reason (a course with two
   * reasons counts under both), for the metrics. One pass over the active
   * courses of every clinic: a scrape, not a request path.
   */
  countAtRiskByClinicAndReason(nowMs: number): AtRiskCount[] {
    const bound = noRecentSessionBound(nowMs);
    const rows = this.statement(
      `SELECT clinic_id,
              SUM(risk_missed_sessions) AS missed_sessions,
              SUM(last_contact_ms <= ?) AS no_recent_session,
              SUM(risk_homework_not_done) AS homework_not_done,
              SUM(risk_deteriorating) AS deteriorating
         FROM course_completion WHERE status = 'active'
         GROUP BY clinic_id ORDER BY clinic_id`,
    ).all(bound) as ({ clinic_id: string } & Record<EngagementReason, number>)[];
    return rows.flatMap((row) =>
      ENGAGEMENT_REASONS.map((reason) => ({
        clinicId: row.clinic_id,
        reason,
        courses: row[reason],
      })),
    );
  }

  clinicContributions(clinicId: string): CourseSummaryContribution[] {
    const rows = this.statement(
      'SELECT contribution FROM clinic_summary_courses WHERE clinic_id = ? AND contribution IS NOT NULL',
    ).all(clinicId) as { contribution: string }[];
    return rows.map((r) => JSON.parse(r.contribution) as CourseSummaryContribution);
  }
}
