import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { COURSE_STATUSES, type CourseStatus, type Role } from '@ipt/course';
import type { Caller } from '@ipt/auth';
import { CurrentCaller } from '../http/auth.guard';
import { QueryParameters } from '../http/query-parameters';
import { DATABASE_REFUSALS, RouteContract } from '../http/openapi/contract';
import { UuidParamPipe } from '../http/validation';
import { ViewReader, parseMinRevision } from './view-reader.service';

export const COURSE_VIEW_ROLES: Role[] = ['clinician', 'auditor', 'privacy_officer'];

/** A course view: a malformed id or X-Min-Revision, no such course, a wait that ran out or was left. */
const VIEW_REFUSALS = [
  ...DATABASE_REFUSALS,
  'validation_failed',
  'course_not_found',
  'view_not_ready',
  'client_closed_request',
];

/** Aborts when the client closes the connection before its answer was sent. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Sends a JSON text as it is stored, without parsing it again. */
export function sendJson(reply: FastifyReply, json: string): string {
  void reply.header('content-type', 'application/json; charset=utf-8');
  return json;
}

@ApiTags('views')
@Controller('v1/courses')
export class CourseViewsController {
  constructor(private readonly views: ViewReader) {}

  /** Course list of the caller's clinic, newest enrollment first, cursor-paginated. */
  @Get()
  @RouteContract({
    operationId: 'listCourses',
    summary: 'Courses of the caller’s clinic, newest enrollment first, a page at a time',
    roles: COURSE_VIEW_ROLES,
    success: {
      description: 'A page of course views and the cursor of the next',
      schema: 'CoursePage',
    },
    refusals: ['validation_failed', ...DATABASE_REFUSALS],
  })
  @ApiQuery({ name: 'status', required: false, enum: COURSE_STATUSES })
  @ApiQuery({ name: 'therapistId', required: false })
  @ApiQuery({
    name: 'atRisk',
    required: false,
    enum: ['true', 'false'],
    description:
      'true: active courses at risk of dropout now (domain.md, engagement); false: active courses not at risk',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(
    @Query() query: Record<string, unknown>,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { status, therapistId, atRisk, limit, after } = parseListQuery(query);
    // One clock reading for the whole page: each item's engagement and the atRisk filter agree.
    const nowMs = Date.now();
    const page = await this.views.queries.listCourses({
      clinicId: caller.clinicId,
      status,
      therapistId,
      atRisk,
      nowMs,
      limit: limit + 1,
      after,
    });
    const items = page.views.slice(0, limit);
    // One extra row tells whether a next page exists without a count query.
    const nextCursor = page.views.length > limit ? encodeCursor(page.keys[limit - 1]) : null;
    return sendJson(
      reply,
      `{"items":[${items.join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`,
    );
  }

  /** The course-completion view of one course. */
  @Get(':courseId')
  @RouteContract({
    operationId: 'getCourse',
    summary: 'The course view: where the course stands, with its engagement',
    roles: COURSE_VIEW_ROLES,
    headers: ['X-Min-Revision'],
    success: { description: 'The course view', schema: 'CourseView' },
    refusals: VIEW_REFUSALS,
  })
  async course(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Headers('x-min-revision') minRevision: string | undefined,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const json = await this.views.courseView(
      'course_completion',
      caller.clinicId,
      courseId,
      parseMinRevision(minRevision),
      clientGone(reply),
    );
    return sendJson(reply, json);
  }

  /** Outcomes per instrument and every risk flag of one course. */
  @Get(':courseId/outcomes')
  @RouteContract({
    operationId: 'getCourseOutcomes',
    summary: 'Outcomes per instrument and every risk flag of the course',
    roles: COURSE_VIEW_ROLES,
    headers: ['X-Min-Revision'],
    success: { description: 'The outcomes view', schema: 'CourseOutcomes' },
    refusals: VIEW_REFUSALS,
  })
  async outcomes(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Headers('x-min-revision') minRevision: string | undefined,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const json = await this.views.courseView(
      'course_outcomes',
      caller.clinicId,
      courseId,
      parseMinRevision(minRevision),
      clientGone(reply),
    );
    return sendJson(reply, json);
  }
}

interface ListQuery {
  status?: CourseStatus;
  therapistId?: string;
  atRisk?: boolean;
  limit: number;
  after?: { enrolledAt: string; courseId: string };
}

const LIST_PARAMS = ['status', 'therapistId', 'atRisk', 'limit', 'cursor'];

function parseListQuery(query: Record<string, unknown>): ListQuery {
  const params = new QueryParameters(query, LIST_PARAMS);
  const status = params.single('status');
  if (status !== undefined && !(COURSE_STATUSES as readonly string[]).includes(status)) {
    params.problems.push({
      field: 'status',
      message: `must be one of ${COURSE_STATUSES.join(', ')}`,
    });
  }
  const therapistId = params.single('therapistId');
  if (therapistId !== undefined && (therapistId.length < 1 || therapistId.length > 64)) {
    params.problems.push({ field: 'therapistId', message: 'must be 1-64 characters' });
  }
  const atRiskText = params.single('atRisk');
  if (atRiskText !== undefined && atRiskText !== 'true' && atRiskText !== 'false') {
    params.problems.push({ field: 'atRisk', message: 'must be true or false' });
  }
  const limit = params.limit();
  const after = params.cursor(decodeCursor);
  params.check();
  return {
    status: status as CourseStatus | undefined,
    therapistId,
    atRisk: atRiskText === undefined ? undefined : atRiskText === 'true',
    limit,
    after,
  };
}

function encodeCursor(last: { enrolledAt: string; courseId: string }): string {
  return Buffer.from(JSON.stringify([last.enrolledAt, last.courseId])).toString('base64url');
}

function decodeCursor(cursor: string): { enrolledAt: string; courseId: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return { enrolledAt: value[0], courseId: value[1] };
    }
  } catch {
    // fall through: not ours
  }
  return undefined;
}
