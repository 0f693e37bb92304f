/**
 * One decorator per route states its whole contract: who may call it (the
 * guard's roles and the document's `x-roles` come from the same list), what it
 * answers on success, and every problem code it can answer with; the statuses
 * and headers of those codes come from the error tables of the HTTP edge
 * (problem.filter.ts), never from a copy here. Documenting a new route is one
 * `@RouteContract({...})` beside its `@Get`/`@Post`.
 */
import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtension,
  ApiHeader,
  ApiOperation,
  ApiResponse,
} from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Role } from '@ipt/course';
import { AllowRoles } from '../auth.guard';
import { problemBody } from '../problem';
import { PROBLEM_CODES } from '../problem.filter';
import { EXAMPLES } from './examples';
import { ref, type SchemaName } from './schemas';

/** Refusals any request can meet before it reaches a route (edge.ts, problem.filter.ts). */
export const EDGE_REFUSALS = [
  'malformed_request',
  'malformed_url',
  'uri_too_long',
  'header_fields_too_large',
  'request_timeout',
  'internal_error',
] as const;
/** Refusals of a route that needs a token. */
export const AUTH_REFUSALS = ['unauthorized', 'forbidden'] as const;
/** Refusals of a route that takes a JSON body (edge.ts: JSON only, 1 MiB, 32 levels). */
export const BODY_REFUSALS = [
  'validation_failed',
  'unsupported_media_type',
  'payload_too_large',
] as const;
/** Refusals of a route that reads the event store (and opens the PHI sealed in it). */
export const STORE_REFUSALS = ['store_unavailable', 'key_missing'] as const;
/** Refusals of a route that reads the read models or idempotency records (PostgreSQL when shared). */
export const DATABASE_REFUSALS = ['database_unavailable'] as const;

interface HeaderDoc {
  description: string;
  schema: SchemaObject;
  example: string;
}

/** Request headers, documented once each (api.md). */
export const REQUEST_HEADERS = {
  'Idempotency-Key': {
    description:
      '1-128 visible ASCII characters. A retry with the same key and the same request gets the ' +
      'first answer again (same status and body); the same key with another request: 422 ' +
      'idempotency_key_reused.',
    schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
    example: 's1-6f1c2b9e-4a7d-4e0b-9c55-1d2e3f405162',
  },
  'If-Match': {
    description:
      'The quoted revision the command expects the course to be at (the ETag of the last ' +
      'answer); otherwise 412 revision_mismatch before any rule is checked.',
    schema: { type: 'string', pattern: '^(W/)?"\\d{1,15}"$' },
    example: '"3"',
  },
  'X-Min-Revision': {
    description:
      'Wait (up to 5 s) until the view has reached this revision of the course (read your own ' +
      'write); else 503 view_not_ready with Retry-After.',
    schema: { type: 'string', pattern: '^\\d{1,15}$' },
    example: '3',
  },
  'X-Correlation-Id': {
    description:
      'Names the request in logs, in the access log (requestId) and in the metadata of the ' +
      'events it records; 1-128 characters of A-Z a-z 0-9 . _ : - (a command refuses others).',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    example: 'req-2026-01-05-0001',
  },
} satisfies Record<string, HeaderDoc>;
export type RequestHeaderName = keyof typeof REQUEST_HEADERS;

/** Response headers (components.headers). */
export const RESPONSE_HEADERS = {
  ETag: {
    description: 'The course’s revision after the command, quoted: send it as If-Match.',
    schema: { type: 'string', pattern: '^"\\d+"$' },
    example: '"3"',
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'string', pattern: '^\\d+$' },
    example: '1',
  },
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with.',
    schema: { type: 'string', enum: ['Bearer'] },
    example: 'Bearer',
  },
} satisfies Record<string, HeaderDoc>;
export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

const HEADER_OF_PROBLEM: Record<string, ResponseHeaderName> = {
  'retry-after': 'Retry-After',
  'www-authenticate': 'WWW-Authenticate',
};

export interface SuccessContract {
  /** Default 200. */
  status?: number;
  description: string;
  /** A schema of schemas.ts (application/json unless contentType says otherwise), or plain text. */
  schema: SchemaName | { text: string };
  contentType?: string;
  headers?: ResponseHeaderName[];
}

export interface RouteContractOptions {
  /** A stable name for generated clients, e.g. `getCourse`. */
  operationId: string;
  summary: string;
  description?: string;
  /** The roles allowed (the guard reads the same list); omitted: a public route. */
  roles?: readonly Role[];
  success: SuccessContract;
  /** Other non-problem answers (e.g. readiness's 503). */
  alsoAnswers?: SuccessContract[];
  /** Problem codes of this route beyond the edge's, the token's, the body's. */
  refusals?: readonly string[];
  /** The route takes a JSON body of this DTO (class-validator + @ApiProperty), with an example. */
  body?: { type: Type<unknown>; example: Record<string, unknown> };
  headers?: RequestHeaderName[];
}

/** Every problem code a route with these options answers with, sorted. */
export function refusalsOf(options: RouteContractOptions): string[] {
  const codes = new Set<string>([
    ...EDGE_REFUSALS,
    ...(options.roles ? AUTH_REFUSALS : []),
    ...(options.body ? BODY_REFUSALS : []),
    ...(options.refusals ?? []),
  ]);
  return [...codes].sort();
}

export function RouteContract(options: RouteContractOptions): MethodDecorator {
  const decorators: Array<ClassDecorator | MethodDecorator | PropertyDecorator> = [];
  const roles = options.roles;
  const access = roles ? `Roles: ${roles.join(', ')} (bearer token).` : 'Public: no token needed.';
  decorators.push(
    ApiOperation({
      operationId: options.operationId,
      summary: options.summary,
      description: [options.description, access].filter(Boolean).join('\n\n'),
    }),
    ApiExtension('x-roles', roles ? [...roles] : []),
  );
  if (roles) decorators.push(AllowRoles(...roles), ApiBearerAuth());
  if (options.body) {
    decorators.push(
      ApiBody({ type: options.body.type, examples: { example: { value: options.body.example } } }),
    );
  }
  const headers: RequestHeaderName[] = [
    ...(options.headers ?? []),
    ...(roles ? (['X-Correlation-Id'] as const) : []),
  ];
  for (const name of headers) {
    const { description, schema, example } = REQUEST_HEADERS[name];
    decorators.push(
      ApiHeader({ name, required: false, description, schema: { ...schema, example } }),
    );
  }
  for (const answer of [options.success, ...(options.alsoAnswers ?? [])]) {
    decorators.push(successResponse(answer));
  }
  for (const [status, codes] of byStatus(refusalsOf(options))) {
    decorators.push(problemResponse(status, codes));
  }
  return applyDecorators(...decorators);
}

function successResponse(answer: SuccessContract) {
  const media =
    answer.contentType ?? (typeof answer.schema === 'string' ? 'application/json' : 'text/plain');
  const content =
    typeof answer.schema === 'string'
      ? { schema: ref(answer.schema), example: EXAMPLES[answer.schema] }
      : { schema: { type: 'string' as const }, example: answer.schema.text };
  return ApiResponse({
    status: answer.status ?? 200,
    description: answer.description,
    content: { [media]: content },
    headers: headerRefs(answer.headers ?? []),
  });
}

function byStatus(codes: string[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const code of codes) {
    const entry = PROBLEM_CODES[code];
    if (!entry) throw new Error(`no status is known for the problem code ${code}`);
    groups.set(entry.status, [...(groups.get(entry.status) ?? []), code]);
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
}

function problemResponse(status: number, codes: string[]) {
  return ApiResponse({ status, ...problemResponseObject(status, codes) });
}

/** The response object of a status's problems: problem+json, the codes' enum, an example, headers. */
export function problemResponseObject(status: number, codes: string[]) {
  const headerNames = new Set(
    codes.flatMap((code) => PROBLEM_CODES[code].headers.map((h) => HEADER_OF_PROBLEM[h])),
  );
  const example = problemBody(status, codes[0], PROBLEM_CODES[codes[0]].detail);
  return {
    description: `Problem: ${codes.join(', ')}`,
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            ref('Problem'),
            {
              type: 'object',
              additionalProperties: true,
              properties: {
                status: { type: 'integer', enum: [status] },
                code: { type: 'string', enum: codes },
              },
            },
          ],
        },
        example,
      },
    },
    headers: headerRefs([...headerNames].filter(Boolean)),
  };
}

function headerRefs(names: ResponseHeaderName[]) {
  return Object.fromEntries(
    names.map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  ) as Record<string, never>;
}
