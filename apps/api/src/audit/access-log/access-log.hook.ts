/**
 * Records every answered request that reads or writes a course, a clinic
 * summary, the access log or an export (audit.md §3), refusals included, in a
 * Fastify onSend hook: the answer waits until its record is committed. A
 * request without a verified token (401, unknown routes) has no actor and is
 * not recorded.
 */
import { v7 as uuidv7 } from 'uuid';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UnsealedAccessRecord } from '@ipt/audit';
import type { RequestActor } from '../../http/auth.guard';
import { problemBody } from '../../http/problem';
import { ACCESS_LOG_UNAVAILABLE, DATABASE_UNAVAILABLE } from '../../http/edge-errors';
import { isUuid } from '../../http/validation';
import type { Caller } from '@ipt/auth';
import { DatabaseUnavailableError } from '@ipt/database';
import type { AccessLog } from './access-log';

/** Route templates (Fastify's `:name` form) whose requests are recorded. */
export function isRecordedRoute(template: string): boolean {
  return (
    template === '/v1/courses' ||
    template.startsWith('/v1/courses/') ||
    /^\/v1\/clinics\/:[^/]+\/summary$/.test(template) ||
    template === '/v1/audit-log'
  );
}

/** `/v1/courses/:courseId/fhir` → `/v1/courses/{courseId}/fhir`, as api.md and the OpenAPI name it. */
export function routeTemplate(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

type RecordedRequest = FastifyRequest & { caller?: Caller; actor?: RequestActor };

/**
 * The course a request is about: the path's courseId, or an enrollment's body
 * courseId; only a well-formed UUID, so that nothing a caller typed (which may
 * be PHI) reaches the log.
 */
function courseIdOf(request: FastifyRequest): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  const fromPath = params?.courseId;
  if (fromPath !== undefined) return isUuid(fromPath) ? fromPath.toLowerCase() : null;
  const body = request.body as Record<string, unknown> | null | undefined;
  if (request.method === 'POST' && request.routeOptions.url === '/v1/courses') {
    const fromBody = body && typeof body === 'object' ? body.courseId : undefined;
    return isUuid(fromBody) ? fromBody.toLowerCase() : null;
  }
  return null;
}

export function accessRecordOf(
  request: FastifyRequest,
  reply: FastifyReply,
): UnsealedAccessRecord | null {
  const { caller } = request as RecordedRequest;
  const url = request.routeOptions.url;
  if (!caller || !url || !isRecordedRoute(url)) return null;
  // Refused at the edge after authentication (415, 413…), before the guard named the acting role.
  const actor = (request as RecordedRequest).actor ?? {
    id: caller.userId,
    role: caller.roles[0],
  };
  return {
    // Time-ordered (UUID v7), as event ids are (decision 147): the log's unique index on record
    // ids then grows at its right edge, not on a random page per record.
    recordId: uuidv7(),
    at: new Date().toISOString(),
    actor: { id: actor.id, role: actor.role ?? 'none' },
    clinicId: caller.clinicId,
    method: request.method,
    route: routeTemplate(url),
    courseId: courseIdOf(request),
    status: reply.statusCode,
    requestId: String(request.id),
  };
}

export function recordAccesses(fastify: FastifyInstance, log: AccessLog): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    const record = accessRecordOf(request, reply);
    if (!record) return payload;
    try {
      await log.append(record);
      return payload;
    } catch (error) {
      // Unrecorded, the answer must not leave: the caller sees 503 and may retry.
      void reply.code(503).header('content-type', 'application/problem+json; charset=utf-8');
      reply.removeHeader('etag');
      if (error instanceof DatabaseUnavailableError) {
        // PostgreSQL is unreachable (DATABASE_URL): the code every route answers then.
        void reply.header('retry-after', '1');
        return JSON.stringify(problemBody(...DATABASE_UNAVAILABLE));
      }
      return JSON.stringify(problemBody(...ACCESS_LOG_UNAVAILABLE));
    }
  });
}
