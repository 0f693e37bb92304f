/**
 * What audit reviewers read: every recorded fact of a course with who, when
 * and why, and the course as it stood at any earlier point, computed by the
 * same folds that build the read models (domain.md, time travel).
 */
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { decodeCourseEvent, recordedAtOf } from '@ipt/course';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import { courseAsOf, recordingOf } from '@ipt/projections';
import type { Caller } from '@ipt/auth';
import { CurrentCaller } from '../http/auth.guard';
import { RouteContract, STORE_REFUSALS } from '../http/openapi/contract';
import { CourseNotFound, InvalidRequest } from '../application/errors';
import { readCourseEvents } from '../application/course-events';
import { PhiVault } from '@ipt/privacy';
import { UuidParamPipe, isInstant } from '../http/validation';

@ApiTags('audit')
@Controller('v1/courses')
export class CourseAuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly vault: PhiVault,
  ) {}

  /** Every event of the course in order, with its full metadata. */
  @Get(':courseId/history')
  @RouteContract({
    operationId: 'getCourseHistory',
    summary: 'Every event of the course in order, with who, when and why',
    roles: ['auditor', 'clinician'],
    success: { description: 'The course’s history', schema: 'CourseHistory' },
    refusals: ['validation_failed', 'course_not_found', ...STORE_REFUSALS],
  })
  async history(
    @Param('courseId', UuidParamPipe) courseId: string,
    @CurrentCaller() caller: Caller,
  ) {
    const stored = await readCourseEvents(this.store, caller.clinicId, courseId);
    // PHI opened with the course key; once erased, `phi` is null and `phiErased` true (privacy.md).
    const events = await this.vault.open(courseId, stored);
    return {
      courseId,
      events: events.map((e) => ({
        eventId: e.eventId,
        type: e.type,
        revision: e.revision,
        position: Number(e.position),
        recordedAt: recordedAtOf(e),
        data: e.data,
        metadata: e.metadata,
        ...(e.phiErased ? { phiErased: true } : {}),
      })),
    };
  }

  /** The course and its outcomes as of a revision or an instant. */
  @Get(':courseId/state')
  @RouteContract({
    operationId: 'getCourseState',
    summary: 'The course and its outcomes as of a revision or an instant (time travel)',
    description: 'Give exactly one of `revision` and `asOf`.',
    roles: ['auditor', 'clinician'],
    success: { description: 'The course as it stood then', schema: 'CourseState' },
    refusals: ['validation_failed', 'course_not_found', ...STORE_REFUSALS],
  })
  @ApiQuery({ name: 'revision', required: false })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO 8601 time with offset' })
  async state(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Query() query: Record<string, unknown>,
    @CurrentCaller() caller: Caller,
  ) {
    const point = parsePoint(query);
    const events = await this.vault.open(
      courseId,
      await readCourseEvents(this.store, caller.clinicId, courseId),
    );
    if ('revision' in point && point.revision > events[events.length - 1].revision) {
      throw new InvalidRequest([
        { field: 'revision', message: 'the course has no such revision yet' },
      ]);
    }
    const recorded = events.map((e) => ({
      event: decodeCourseEvent(e),
      meta: recordingOf(e),
    }));
    const state = courseAsOf(recorded, point);
    if (!state) throw new CourseNotFound();
    return {
      courseId,
      revision: state.revision,
      course: { ...state.course, clinicId: caller.clinicId },
      outcomes: state.outcomes,
    };
  }
}

function parsePoint(query: Record<string, unknown>): { revision: number } | { instant: string } {
  const unknown = Object.keys(query).filter((k) => k !== 'revision' && k !== 'asOf');
  if (unknown.length > 0)
    // The names are not repeated: a careless client may put anything there.
    throw new InvalidRequest([{ field: 'query', message: 'unknown query parameter' }]);
  const { revision, asOf } = query;
  if ((revision === undefined) === (asOf === undefined)) {
    throw new InvalidRequest([
      { field: 'revision', message: 'give exactly one of revision and asOf' },
    ]);
  }
  if (revision !== undefined) {
    if (typeof revision !== 'string' || !/^\d{1,15}$/.test(revision)) {
      throw new InvalidRequest([{ field: 'revision', message: 'must be a non-negative integer' }]);
    }
    return { revision: Number(revision) };
  }
  if (!isInstant(asOf))
    throw new InvalidRequest([
      { field: 'asOf', message: 'must be an ISO 8601 time with an offset or Z' },
    ]);
  return { instant: asOf };
}
