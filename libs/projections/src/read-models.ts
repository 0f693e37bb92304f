/**
 * The three read models of domain.md as projections, and the queries the
 * views serve from them. Each projection folds independently with its own
 * checkpoint, so each can be rebuilt alone.
 */
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import type { CourseStatus } from '@ipt/course';
import { courseFoldProjection, type CourseRow } from './course-fold-projection';
import type { Projection } from './projection';
import {
  evolveCompletion,
  evolveOutcomes,
  summaryContribution,
  toCompletionView,
  toOutcomesView,
  type CourseCompletionState,
  type CourseOutcomesState,
  type CourseSummaryContribution,
} from './views';

export const COURSE_COMPLETION = 'course-completion';
export const COURSE_OUTCOMES = 'course-outcomes';
export const CLINIC_SUMMARY = 'clinic-summary';

/** The course view of api.md: the completion view plus the clinic. */
export function courseView(row: CourseRow<CourseCompletionState>) {
  return { ...toCompletionView(row.state), clinicId: row.clinicId };
}

interface SummaryState {
  completion: CourseCompletionState | null;
  outcomes: CourseOutcomesState | null;
}

export function createReadModelProjections(): Projection[] {
  return [
    courseFoldProjection<CourseCompletionState>({
      name: COURSE_COMPLETION,
      table: 'course_completion',
      columns: { therapist_id: 'TEXT', status: 'TEXT', enrolled_at: 'TEXT', view: 'TEXT' },
      indexes: [
        'CREATE INDEX IF NOT EXISTS course_completion_by_clinic ON course_completion (clinic_id, enrolled_at DESC, course_id DESC)',
      ],
      evolve: evolveCompletion,
      columnValues: (row) => ({
        therapist_id: row.state.therapistId,
        status: row.state.status,
        enrolled_at: row.state.enrolledAt,
        view: JSON.stringify(courseView(row)),
      }),
    }),
    courseFoldProjection<CourseOutcomesState>({
      name: COURSE_OUTCOMES,
      table: 'course_outcomes',
      columns: { view: 'TEXT' },
      evolve: evolveOutcomes,
      columnValues: (row) => ({ view: JSON.stringify(toOutcomesView(row.state)) }),
    }),
    courseFoldProjection<SummaryState>({
      name: CLINIC_SUMMARY,
      table: 'clinic_summary_courses',
      columns: { contribution: 'TEXT' },
      indexes: [
        'CREATE INDEX IF NOT EXISTS clinic_summary_by_clinic ON clinic_summary_courses (clinic_id)',
      ],
      evolve: (state, event, recording) => {
        const completion = evolveCompletion(state?.completion ?? null, event, recording);
        const outcomes = evolveOutcomes(state?.outcomes ?? null, event, recording);
        return completion || outcomes ? { completion, outcomes } : null;
      },
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

export interface CourseListQuery {
  clinicId: string;
  status?: CourseStatus;
  therapistId?: string;
  limit: number;
  /** Keyset position: the last item of the previous page. */
  after?: { enrolledAt: string; courseId: string };
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

  listCourses(query: CourseListQuery): {
    views: string[];
    last?: { enrolledAt: string; courseId: string };
  } {
    const where = ['clinic_id = ?'];
    const params: (string | number)[] = [query.clinicId];
    if (query.status) {
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
    const rows = this.statement(
      `SELECT course_id, enrolled_at, view FROM course_completion WHERE ${where.join(' AND ')}
         ORDER BY enrolled_at DESC, course_id DESC LIMIT ?`,
    ).all(...params) as { course_id: string; enrolled_at: string; view: string }[];
    const lastRow = rows[rows.length - 1];
    return {
      views: rows.map((r) => r.view),
      last: lastRow ? { enrolledAt: lastRow.enrolled_at, courseId: lastRow.course_id } : undefined,
    };
  }

  clinicContributions(clinicId: string): CourseSummaryContribution[] {
    const rows = this.statement(
      'SELECT contribution FROM clinic_summary_courses WHERE clinic_id = ? AND contribution IS NOT NULL',
    ).all(clinicId) as { contribution: string }[];
    return rows.map((r) => JSON.parse(r.contribution) as CourseSummaryContribution);
  }
}
