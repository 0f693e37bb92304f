/**
 * GET /v1/audit-log (audit.md, routes): the caller's clinic's access records,
 * newest first, each with its leaf index in the `access` tree. The read is
 * itself recorded (by the access-log hook, after this answer is built).
 */
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { parseInstant } from '@ipt/course';
import type { Caller } from '@ipt/auth';
import { CurrentCaller } from '../../http/auth.guard';
import { QueryParameters } from '../../http/query-parameters';
import { DATABASE_REFUSALS, RouteContract } from '../../http/openapi/contract';
import { isUuid } from '../../http/validation';
import {
  ACCESS_LOG,
  type AccessLog,
  type AccessLogQuery,
  type StoredAccessRecord,
} from './access-log';

const PARAMS = ['courseId', 'actor', 'from', 'to', 'limit', 'cursor'];

@ApiTags('audit')
@Controller('v1/audit-log')
export class AccessLogController {
  constructor(@Inject(ACCESS_LOG) private readonly log: AccessLog) {}

  @Get()
  @RouteContract({
    operationId: 'listAccessLog',
    summary: 'The access log of the caller’s clinic, newest first',
    roles: ['auditor'],
    success: { description: 'A page of access records', schema: 'AccessLogPage' },
    refusals: ['validation_failed', ...DATABASE_REFUSALS],
    description:
      'One record per request that read or wrote a course, a clinic summary, the access log ' +
      'or an export, refusals included (401 excepted). `prevHash` chains the records of one ' +
      'clinic; `hash` (SHA-256 of the canonical JSON of the record without `hash` and ' +
      '`leafIndex`) is leaf `leafIndex` of the access tree. No PHI.',
  })
  @ApiQuery({ name: 'courseId', required: false, description: 'a course id (uuid)' })
  @ApiQuery({ name: 'actor', required: false, description: 'the actor’s user id (token `sub`)' })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601 time, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601 time, exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  async list(@Query() query: Record<string, unknown>, @CurrentCaller() caller: Caller) {
    const parsed = parseAuditLogQuery(query, caller.clinicId);
    const rows = await this.log.query({ ...parsed, limit: parsed.limit + 1 });
    const items = rows.slice(0, parsed.limit);
    // One extra row tells whether a next page exists without a count query.
    const nextCursor =
      rows.length > parsed.limit ? encodeCursor(items[items.length - 1].leafIndex) : null;
    return { items: items.map(present), nextCursor };
  }
}

function present(record: StoredAccessRecord) {
  const { leafIndex, ...rest } = record;
  return { leafIndex, ...rest };
}

function encodeCursor(leafIndex: number): string {
  return Buffer.from(`leaf:${leafIndex}`).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  const match = /^leaf:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export function parseAuditLogQuery(
  query: Record<string, unknown>,
  clinicId: string,
): AccessLogQuery {
  const params = new QueryParameters(query, PARAMS);
  const courseId = params.single('courseId');
  if (courseId !== undefined && !isUuid(courseId))
    params.problems.push({ field: 'courseId', message: 'must be a UUID' });
  const actorId = params.single('actor');
  if (actorId !== undefined && (actorId.length < 1 || actorId.length > 256))
    params.problems.push({ field: 'actor', message: 'must be 1-256 characters' });
  const instant = (name: string): string | undefined => {
    const text = params.single(name);
    if (text === undefined) return undefined;
    const parsed = parseInstant(text);
    if (parsed === null) {
      params.problems.push({
        field: name,
        message: 'must be an ISO 8601 time with an offset or Z',
      });
      return undefined;
    }
    // Records keep `at` as toISOString(): compared as text once normalised the same way.
    return new Date(parsed).toISOString();
  };
  const from = instant('from');
  const to = instant('to');
  const limit = params.limit();
  const beforeLeaf = params.cursor(decodeCursor);
  params.check();
  return {
    clinicId,
    courseId: courseId?.toLowerCase(),
    actorId,
    from,
    to,
    beforeLeaf,
    limit,
  };
}
