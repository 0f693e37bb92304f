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
  if (error instanceof HttpException) {
    return { body: fromHttpException(error), headers: {} };
  }
  const status = statusOfFrameworkError(error);
  if (status !== undefined) {
    const code =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : 'validation_failed';
    return { body: problemBody(status, code, frameworkDetail(status)), headers: {} };
  }
  return { body: problemBody(500, 'internal_error', 'an unexpected error occurred'), headers: {} };
}

function fromHttpException(error: HttpException): ProblemBody {
  const status = error.getStatus();
  if (status === 404) return problemBody(404, 'not_found', 'no such route');
  if (status === 401) return problemBody(401, 'unauthorized', 'a valid bearer token is required');
  if (status === 403) return problemBody(403, 'forbidden', 'your role may not use this route');
  if (status >= 400 && status < 500) {
    return problemBody(
      status,
      status === 400 ? 'validation_failed' : 'request_rejected',
      'the request was rejected',
    );
  }
  return problemBody(500, 'internal_error', 'an unexpected error occurred');
}

/** Fastify's own client errors (bad JSON, too large, wrong content type) carry a 4xx statusCode. */
function statusOfFrameworkError(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function frameworkDetail(status: number): string {
  if (status === 413) return 'the request body is too large';
  if (status === 415) return 'send the body as application/json';
  return 'the request body is not valid JSON';
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
