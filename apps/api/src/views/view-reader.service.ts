/**
 * Serves materialised views from the read models, scoped to the caller's
 * clinic, and honours X-Min-Revision (api.md): wait, up to 5 s, until the
 * projection has reached that revision of the course.
 */
import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import { READ_MODELS, type ReadModelReader } from '@ipt/projections';
import { CourseNotFound, InvalidRequest } from '../application/errors';
import { courseBelongsTo } from '../application/course-events';
import { RevisionWaits } from './revision-waits';

export type CourseTable = 'course_completion' | 'course_outcomes';

@Injectable()
export class ViewReader {
  constructor(
    @Inject(READ_MODELS) readonly queries: ReadModelReader,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly waits: RevisionWaits,
  ) {}

  /**
   * The stored view JSON of one course, as a string ready to send. With a
   * minimum revision it waits (woken by the projection, never polling) until
   * the view has reached it; `signal` ends the wait when the client leaves.
   */
  async courseView(
    table: CourseTable,
    clinicId: string,
    courseId: string,
    minRevision?: number,
    signal?: AbortSignal,
  ): Promise<string> {
    const reached = async (): Promise<string | undefined> => {
      const row = await this.read(table, clinicId, courseId);
      return row && (minRevision === undefined || row.revision >= minRevision)
        ? row.view
        : undefined;
    };
    const view = await reached();
    if (view !== undefined) return view;
    if (minRevision === undefined) throw new CourseNotFound();
    // Lagging or absent? Absent (or another clinic's) answers 404 at once.
    if (
      !(await this.read(table, clinicId, courseId)) &&
      !(await courseBelongsTo(this.store, clinicId, courseId))
    )
      throw new CourseNotFound();
    return this.waits.waitFor(courseId, minRevision, reached, signal);
  }

  /** The course view's engagement is taken now, at the time of the request (domain.md). */
  private read(table: CourseTable, clinicId: string, courseId: string) {
    return table === 'course_completion'
      ? this.queries.courseRow(clinicId, courseId, Date.now())
      : this.queries.row(table, clinicId, courseId);
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
