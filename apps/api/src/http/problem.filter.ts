/**
 * The one place where errors become HTTP answers: domain refusals, application
 * errors, request validation, the event store's outage and the framework's own
 * refusals all leave as problem+json (api.md, "Errors"). Nothing inside the
 * application knows a status code.
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  COURSE_RULE_CODES,
  CourseRuleViolation,
  ruleKindOf,
  type RuleViolationKind,
} from '@ipt/course';
import { DatabaseUnavailableError } from '@ipt/database';
import { StoreUnavailableError } from '@ipt/event-store';
import { KeyMissingError } from '@ipt/privacy';
import { ApplicationError, type ApplicationErrorCode } from '../application/errors';
import { ACCESS_LOG_UNAVAILABLE, CLIENT_ERRORS } from './edge-errors';
import { problemBody, type ProblemBody } from './problem';

/** The status of each kind of domain refusal (api.md, "Errors"). */
const RULE_VIOLATION_STATUS: Readonly<Record<RuleViolationKind, number>> = {
  not_found: 404,
  conflict: 409,
  validation: 400,
  ineligible: 422,
};

const APPLICATION_STATUS: Readonly<Record<ApplicationErrorCode, number>> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  course_not_found: 404,
  projection_not_found: 404,
  course_exists: 409,
  concurrency_conflict: 409,
  revision_mismatch: 412,
  idempotency_key_reused: 422,
  view_not_ready: 503,
  client_closed_request: 499,
  checkpoint_not_found: 404,
};

/** Headers that tell a client what to do next. */
export const APPLICATION_HEADERS: Partial<Record<ApplicationErrorCode, Record<string, string>>> = {
  unauthorized: { 'www-authenticate': 'Bearer' },
  view_not_ready: { 'retry-after': '1' },
};

export interface Problem {
  body: ProblemBody;
  headers: Record<string, string>;
}

/** Maps every error to problem+json; anything unexpected is a 500 without detail. */
export function toProblem(error: unknown): Problem {
  if (isCourseNotFound(error)) return { body: courseNotFound(), headers: {} };
  if (error instanceof ApplicationError) {
    return {
      body: problemBody(APPLICATION_STATUS[error.code], error.code, error.message, error.details),
      headers: APPLICATION_HEADERS[error.code] ?? {},
    };
  }
  if (error instanceof CourseRuleViolation) {
    const extensions: Record<string, unknown> = {};
    if (error.rule !== null) extensions.rule = error.rule;
    if (error.criteria) extensions.criteria = error.criteria;
    if (error.errors.length > 0) extensions.errors = error.errors;
    const status = RULE_VIOLATION_STATUS[error.kind];
    return { body: problemBody(status, error.code, error.message, extensions), headers: {} };
  }
  if (error instanceof StoreUnavailableError) {
    return {
      body: problemBody(503, 'store_unavailable', 'the event store is unreachable; retry later'),
      headers: { 'retry-after': '1' },
    };
  }
  if (error instanceof DatabaseUnavailableError) {
    return {
      body: problemBody(
        503,
        'database_unavailable',
        'the shared database is unreachable; retry later',
      ),
      headers: { 'retry-after': '1' },
    };
  }
  if (error instanceof KeyMissingError) {
    // privacy.md: data loss, not erasure. The message names no key and no PHI.
    return {
      body: problemBody(500, 'key_missing', "the course's key is missing from the key store"),
      headers: {},
    };
  }
  const known = FASTIFY_ERRORS[(error as { code?: unknown } | null)?.code as string];
  if (known) return { body: problemBody(...known), headers: {} };
  const status = error instanceof HttpException ? error.getStatus() : statusOfFrameworkError(error);
  if (status !== undefined) return { body: frameworkProblem(status), headers: {} };
  return { body: problemBody(500, 'internal_error', 'an unexpected error occurred'), headers: {} };
}

/**
 * No such course in the caller's clinic, built here alone: a missing course
 * and another clinic's answer the same bytes on every route and for every
 * role, whether a view, the audit or a command's rule 1 refused it.
 */
function courseNotFound(): ProblemBody {
  return problemBody(404, 'course_not_found', 'no such course');
}

function isCourseNotFound(error: unknown): boolean {
  return (
    (error instanceof ApplicationError && error.code === 'course_not_found') ||
    (error instanceof CourseRuleViolation && error.kind === 'not_found')
  );
}

/** Fastify's own refusals by their error code: each with its code, none repeating the request. */
export const FASTIFY_ERRORS: Record<string, [status: number, code: string, detail: string]> = {
  FST_ERR_BAD_URL: [400, 'malformed_url', 'the URL is not valid'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'a path segment of the URL is too long'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported_media_type',
    'send the body as application/json',
  ],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'send the body as application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'the request body is larger than 1 MiB'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'validation_failed', 'the request body is empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'malformed_request',
    'Content-Length does not match the body',
  ],
  FST_ERR_CTP_INVALID_CHARSET: [415, 'unsupported_media_type', 'send the body as UTF-8 JSON'],
};

/** Framework-level refusals (routing, body parsing, limits) by status. */
export const FRAMEWORK_PROBLEMS: Record<number, [code: string, detail: string]> = {
  400: ['validation_failed', 'the request body is not valid JSON'],
  401: ['unauthorized', 'a valid bearer token is required'],
  403: ['forbidden', 'your role may not use this route'],
  404: ['not_found', 'no such route'],
  408: ['request_timeout', 'the request was not sent in time'],
  414: ['uri_too_long', 'the URL is too long'],
  431: ['header_fields_too_large', 'the request headers are too large'],
  405: ['method_not_allowed', 'the route does not accept this method'],
  413: ['payload_too_large', 'the request body is larger than 1 MiB'],
  415: ['unsupported_media_type', 'send the body as application/json'],
};

function frameworkProblem(status: number): ProblemBody {
  const known = FRAMEWORK_PROBLEMS[status];
  if (known) return problemBody(status, known[0], known[1]);
  if (status >= 400 && status < 500)
    return problemBody(status, 'request_rejected', 'the request was rejected');
  return problemBody(500, 'internal_error', 'an unexpected error occurred');
}

/** Fastify's own client errors (bad JSON, too large, wrong content type) carry a 4xx statusCode. */
function statusOfFrameworkError(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** A problem code the API answers with: its status, one fixed detail, and the headers sent with it. */
export interface ProblemCodeEntry {
  status: number;
  detail: string;
  headers: string[];
}

/**
 * Every code the service answers with, its status and headers, read off the
 * tables above, the domain's rule codes and the HTTP parser's refusals
 * (edge-errors.ts): what the OpenAPI document states per route.
 */
export const PROBLEM_CODES: Readonly<Record<string, ProblemCodeEntry>> = (() => {
  const table: Record<string, ProblemCodeEntry> = {};
  const add = (code: string, status: number, detail: string, headers: string[] = []) => {
    const known = table[code];
    if (known && known.status !== status) throw new Error(`code ${code} has two statuses`);
    table[code] ??= { status, detail, headers };
  };
  for (const code of COURSE_RULE_CODES) add(code, RULE_VIOLATION_STATUS[ruleKindOf(code)], code);
  for (const [code, status] of Object.entries(APPLICATION_STATUS)) {
    const headers = Object.keys(APPLICATION_HEADERS[code as ApplicationErrorCode] ?? {});
    add(code, status, code.replace(/_/g, ' '), headers);
  }
  add('store_unavailable', 503, 'the event store is unreachable; retry later', ['retry-after']);
  add('database_unavailable', 503, 'the shared database is unreachable; retry later', [
    'retry-after',
  ]);
  add('key_missing', 500, "the course's key is missing from the key store");
  for (const [status, code, detail] of Object.values(FASTIFY_ERRORS)) add(code, status, detail);
  for (const [status, [code, detail]] of Object.entries(FRAMEWORK_PROBLEMS))
    add(code, Number(status), detail);
  for (const [status, code, detail] of Object.values(CLIENT_ERRORS)) add(code, status, detail);
  const [accessStatus, accessCode, accessDetail] = ACCESS_LOG_UNAVAILABLE;
  add(accessCode, accessStatus, accessDetail);
  add('request_rejected', 400, 'the request was rejected');
  add('internal_error', 500, 'an unexpected error occurred');
  return table;
})();

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers } = toProblem(error);
    if (error instanceof KeyMissingError) {
      // privacy.md: data loss, not erasure. The course id only: no key, no PHI.
      this.logger.error({ courseId: error.courseId }, 'course key missing from the key store');
    }
    if (body.status >= 500 && body.code === 'internal_error') {
      // The error with its message and stack (pino's err serializer), never the request body (PHI).
      this.logger.error({ err: error }, 'unhandled error');
    }
    if (reply.raw.destroyed) return; // the client left (e.g. during an X-Min-Revision wait)
    void reply
      .status(body.status)
      .headers({ ...headers, 'content-type': 'application/problem+json' })
      .send(body);
  }
}
