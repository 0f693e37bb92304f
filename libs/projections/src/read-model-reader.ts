/**
 * The port the API reads the read models through, whatever holds them: the
 * embedded mode's SQLite file or the shared PostgreSQL database (DATABASE_URL).
 * Every query is scoped by the caller's clinic. One contract suite runs on
 * both adapters (test/contract/read-models.contract.ts).
 */
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import { ReadModelQueries, type AtRiskCount, type CourseListQuery } from './read-models';
import type { CourseSummaryContribution } from './views';

export type CourseViewTable = 'course_completion' | 'course_outcomes';

export interface CourseListPage {
  views: string[];
  keys: { enrolledAt: string; courseId: string }[];
}

export interface ReadModelReader {
  /** A stored view of one course with its revision, only when it belongs to the clinic. */
  row(
    table: CourseViewTable,
    clinicId: string,
    courseId: string,
  ): Promise<{ revision: number; view: string } | undefined>;
  /** The course view of one course, its engagement taken at `nowMs`. */
  courseRow(
    clinicId: string,
    courseId: string,
    nowMs: number,
  ): Promise<{ revision: number; view: string } | undefined>;
  listCourses(query: CourseListQuery): Promise<CourseListPage>;
  countAtRisk(clinicId: string, nowMs: number): Promise<number>;
  countAtRiskByClinicAndReason(nowMs: number): Promise<AtRiskCount[]>;
  clinicContributions(clinicId: string): Promise<CourseSummaryContribution[]>;
  /**
   * Every projection's checkpoint in one text: it changes whenever any
   * projection committed (a reader in another process than the projector polls it).
   */
  checkpoints(): Promise<string>;
}

export const READ_MODELS = Symbol('ReadModelReader');

/** The SQLite adapter: the synchronous queries, answered at once. */
export class SqliteReadModelReader implements ReadModelReader {
  readonly queries: ReadModelQueries;
  private checkpointStatement?: SqliteStatement;

  constructor(private readonly db: SqliteDatabase) {
    this.queries = new ReadModelQueries(db);
  }

  row(table: CourseViewTable, clinicId: string, courseId: string) {
    return Promise.resolve(this.queries.row(table, clinicId, courseId));
  }

  courseRow(clinicId: string, courseId: string, nowMs: number) {
    return Promise.resolve(this.queries.courseRow(clinicId, courseId, nowMs));
  }

  listCourses(query: CourseListQuery) {
    return Promise.resolve(this.queries.listCourses(query));
  }

  countAtRisk(clinicId: string, nowMs: number) {
    return Promise.resolve(this.queries.countAtRisk(clinicId, nowMs));
  }

  countAtRiskByClinicAndReason(nowMs: number) {
    return Promise.resolve(this.queries.countAtRiskByClinicAndReason(nowMs));
  }

  clinicContributions(clinicId: string) {
    return Promise.resolve(this.queries.clinicContributions(clinicId));
  }

  checkpoints(): Promise<string> {
    this.checkpointStatement ??= this.db.prepare(
      "SELECT group_concat(name || ':' || position) AS positions FROM (SELECT name, position FROM projection_checkpoints ORDER BY name)",
    );
    const row = this.checkpointStatement.get() as { positions: string | null } | undefined;
    return Promise.resolve(row?.positions ?? '');
  }
}
