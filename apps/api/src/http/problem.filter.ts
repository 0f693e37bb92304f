import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CourseRuleViolation } from '@ipt/course';
import { StoreUnavailableError } from '@ipt/event-store';
import { ProblemError, problemBody, type ProblemBody } from './problem';

/** Maps every error to problem+json; anything unexpected is a 500 without detail. */
export function toProblem(error: unknown): { body: ProblemBody; headers: Record<string, string> } {
  if (error instanceof ProblemError) return { body: error.toBody(), headers: error.headers };
  if (error instanceof CourseRuleViolation) {
    const status = error.status;
    const extensions: Record<string, unknown> = {};
    if (error.rule !== null) extensions.rule = error.rule;
    if (error.criteria) extensions.criteria = error.criteria;
    if (error.errors && error.errors.length > 0) extensions.errors = error.errors;
    return { body: problemBody(status, error.code, error.message, extensions), headers: {} };
  }
  if (error instanceof StoreUnavailableError) {
    return {
      body: problemBody(503, 'store_unavailable', 'the event store is unreachable; retry later'),
      headers: { 'retry-after': '1' },
    };
  }
  const status = error instanceof HttpException ? error.getStatus() : statusOfFrameworkError(error);
  if (status !== undefined) return { body: frameworkProblem(status), headers: {} };
  return { body: problemBody(500, 'internal_error', 'an unexpected error occurred'), headers: {} };
}

/** Framework-level refusals (routing, body parsing, limits) by status. */
const FRAMEWORK_PROBLEMS: Record<number, [code: string, detail: string]> = {
  400: ['validation_failed', 'the request body is not valid JSON'],
  401: ['unauthorized', 'a valid bearer token is required'],
  403: ['forbidden', 'your role may not use this route'],
  404: ['not_found', 'no such route'],
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

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers } = toProblem(error);
    if (body.status >= 500 && body.code === 'internal_error') {
      // Log the error's class and stack, never the request body (PHI).
      this.logger.error(
        `unhandled ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.stack ?? ''}`,
      );
    }
    void reply
      .status(body.status)
      .headers({ ...headers, 'content-type': 'application/problem+json' })
      .send(body);
  }
}
