/**
 * Serves materialised views from the read models, scoped to the caller's
 * clinic, and honours X-Min-Revision (api.md): wait, up to 5 s, until the
 * projection has reached that revision of the course.
 */
import { Inject, Injectable } from '@nestjs/common';
import { clinicOf, courseStreamId } from '@ipt/course';
import { EVENT_STORE, type EventStore, type SqliteDatabase } from '@ipt/event-store';
import { ReadModelQueries } from '@ipt/projections';
import { LOCAL_DATABASE } from '../infrastructure/local-database';
import { CourseNotFound, InvalidRequest, ViewNotReady } from '../application/errors';

const MAX_WAIT_MS = 5000;
const POLL_MS = 5;

export type CourseTable = 'course_completion' | 'course_outcomes';

@Injectable()
export class ViewReader {
  readonly queries: ReadModelQueries;

  constructor(
    @Inject(LOCAL_DATABASE) db: SqliteDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {
    this.queries = new ReadModelQueries(db);
  }

  /** The stored view JSON of one course, as a string ready to send. */
  async courseView(
    table: CourseTable,
    clinicId: string,
    courseId: string,
    minRevision?: number,
  ): Promise<string> {
    let row = this.read(table, clinicId, courseId);
    if (minRevision === undefined || (row && row.revision >= minRevision)) {
      if (!row) throw new CourseNotFound();
      return row.view;
    }
    // Lagging or absent? Absent (or another clinic's) answers 404 at once.
    if (!row && !(await this.courseBelongsTo(clinicId, courseId))) throw new CourseNotFound();
    const deadline = Date.now() + MAX_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      row = this.read(table, clinicId, courseId);
      if (row && row.revision >= minRevision) return row.view;
    }
    throw new ViewNotReady(minRevision, MAX_WAIT_MS / 1000);
  }

  /** The course view's engagement is taken now, at the time of the request (domain.md). */
  private read(table: CourseTable, clinicId: string, courseId: string) {
    return table === 'course_completion'
      ? this.queries.courseRow(clinicId, courseId, Date.now())
      : this.queries.row(table, clinicId, courseId);
  }

  private async courseBelongsTo(clinicId: string, courseId: string): Promise<boolean> {
    const [first] = await this.store.readStream(courseStreamId(courseId), { maxCount: 1 });
    return first !== undefined && clinicOf(first) === clinicId;
  }
}

/** X-Min-Revision: a non-negative integer, when present. */
export function parseMinRevision(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  if (!/^\d{1,15}$/.test(text.trim())) {
    throw new InvalidRequest([
      { field: 'X-Min-Revision', message: 'must be a non-negative integer revision' },
    ]);
  }
  return Number(text);
}
