/**
 * The @nestjs/cqrs side of the write path: every use case has its own command
 * class and handler (so Nest users find the vocabulary they expect), and all
 * handlers share one mechanism, CourseCommandsService.
 */
import { ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { CommandBus, type ICommand } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as crypto from 'node:crypto';
import type { Type } from '@nestjs/common';
import {
  COMMAND_REFUSALS,
  type CourseCommand,
  type CourseCommandType,
  type Role,
} from '@ipt/course';
import type { Caller } from '@ipt/auth';
import { InvalidRequest, Unauthenticated, type FieldProblem } from '../application/errors';
import { actingRole } from '../http/auth.guard';
import { DATABASE_REFUSALS, RouteContract, STORE_REFUSALS } from '../http/openapi/contract';
import { isCorrelationId } from '../http/validation';
import { CourseCommandsService, type CommandEnvelope } from './course-commands.service';
import type { CommandAnswer } from './idempotency-records';

export abstract class CourseCommandMessage<
  C extends CourseCommand = CourseCommand,
> implements ICommand {
  constructor(
    readonly command: C,
    readonly envelope: CommandEnvelope,
  ) {}
}

@Injectable()
export abstract class CourseCommandHandler<M extends CourseCommandMessage> {
  constructor(private readonly courses: CourseCommandsService) {}

  execute(message: M): Promise<CommandAnswer> {
    return this.courses.execute(message.command, message.envelope);
  }
}

/** Only clinicians send commands (api.md, auth). */
export const COMMAND_ROLES: Role[] = ['clinician'];

/** What the command path refuses around the domain's rules (course-commands.service). */
const COMMAND_PATH_REFUSALS = [
  // If-Match on a course that does not exist (an enrollment's included).
  'course_not_found',
  'revision_mismatch',
  'idempotency_key_reused',
  'concurrency_conflict',
  ...STORE_REFUSALS,
  // The idempotency records, in PostgreSQL when shared.
  ...DATABASE_REFUSALS,
];

/**
 * The contract of a command route: clinicians only, the command headers, its
 * body, the answer with its ETag, and every code the domain's rules
 * (COMMAND_REFUSALS) and the command path can refuse it with.
 */
export function CommandContract(
  type: CourseCommandType,
  options: {
    summary: string;
    body: Type<unknown>;
    example: Record<string, unknown>;
    status?: 200 | 201;
    answer?: 'CommandAnswer' | 'AssessmentAnswer' | 'ErasureReceipt';
    /** Who may send it: clinicians, unless said otherwise (an erasure: the privacy officer). */
    roles?: Role[];
    description?: string;
  },
): MethodDecorator {
  return RouteContract({
    operationId: type.charAt(0).toLowerCase() + type.slice(1),
    summary: options.summary,
    description:
      (options.description ? `${options.description} ` : '') +
      `Sends the ${type} command (domain.md). An Idempotency-Key retry answers the first answer again.`,
    roles: options.roles ?? COMMAND_ROLES,
    headers: ['Idempotency-Key', 'If-Match'],
    body: { type: options.body, example: options.example },
    success: {
      status: options.status ?? 200,
      description: 'Recorded: the course’s stream revision after the append',
      schema: options.answer ?? 'CommandAnswer',
      headers: ['ETag'],
    },
    refusals: [...COMMAND_REFUSALS[type], ...COMMAND_PATH_REFUSALS],
  });
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
const IF_MATCH = /^(?:W\/)?"(\d{1,15})"$/;

/** The caller and the command headers (Idempotency-Key, If-Match, X-Correlation-Id), validated. */
export const Envelope = createParamDecorator(
  (roles: Role[] | undefined, context: ExecutionContext): CommandEnvelope => {
    const request = context.switchToHttp().getRequest<FastifyRequest & { caller?: Caller }>();
    const caller = request.caller;
    if (!caller) throw new Unauthenticated();
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const problems: FieldProblem[] = [];
    const key = header('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      problems.push({
        field: 'Idempotency-Key',
        message: 'must be 1-128 visible ASCII characters',
      });
    }
    const ifMatchText = header('if-match');
    const ifMatch = ifMatchText === undefined ? undefined : IF_MATCH.exec(ifMatchText.trim());
    if (ifMatch === null)
      problems.push({ field: 'If-Match', message: 'must be a quoted revision, e.g. "3"' });
    const correlation = header('x-correlation-id');
    if (correlation !== undefined && !isCorrelationId(correlation)) {
      problems.push({
        field: 'X-Correlation-Id',
        message: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -',
      });
    }
    if (problems.length > 0) throw new InvalidRequest(problems);
    return {
      caller,
      role: actingRole(caller, roles ?? COMMAND_ROLES),
      idempotencyKey: key,
      ifMatch: ifMatch ? Number(ifMatch[1]) : undefined,
      correlationId: correlation ?? String(request.id ?? crypto.randomUUID()),
    };
  },
);

/** Sends a command through the bus and shapes the HTTP answer (status, ETag). */
export async function sendCommand(
  commandBus: CommandBus,
  message: CourseCommandMessage,
  reply: FastifyReply,
): Promise<CommandAnswer['body']> {
  const answer = await commandBus.execute<CourseCommandMessage, CommandAnswer>(message);
  void reply.status(answer.status).header('etag', `"${answer.body.revision}"`);
  return answer.body;
}
