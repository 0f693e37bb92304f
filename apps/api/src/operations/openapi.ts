import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import {
  AUTH_REFUSALS,
  BODY_REFUSALS,
  EDGE_REFUSALS,
  RESPONSE_HEADERS,
  problemResponseObject,
} from '../http/openapi/contract';
import { isRecordedRoute } from '../audit/access-log/access-log.hook';
import { ACCESS_LOG_UNAVAILABLE, DATABASE_UNAVAILABLE } from '../http/edge-errors';
import { EXAMPLES } from '../http/openapi/examples';
import { SCHEMAS } from '../http/openapi/schemas';
import { problemBody } from '../http/problem';
import { PROBLEM_CODES } from '../http/problem.filter';

const DESCRIPTION = `Event-sourced record of interpersonal-psychotherapy courses: commands from clinic systems,
course and outcome views, audit history, proofs and exports.

Every route states the roles that may call it (\`x-roles\`, and in its description), its success
answer and every problem it can answer with. Problems are RFC 9457 problem details
(\`application/problem+json\`) with a stable \`code\`; each response lists the codes of its status.

Commands: send \`Idempotency-Key\` and retry with the same key after a timeout or a 503 to get the
first answer again; send \`If-Match\` with the last \`ETag\` to apply a command only to the revision
you read. Views are eventually consistent: \`X-Min-Revision\` waits for your own write.

A path or method not in this document is answered as \`#/components/responses/UnknownRoute\`
says: \`404 not_found\`, unless refused before routing like any request (\`401\` for a path
under /v1 without a valid token; the edge's 400, 408, 414, 431; a body refused as on any route).`;

/** What a path or method the document does not list is answered with. */
const UNKNOWN_ROUTE_CODES = [
  'not_found',
  ...AUTH_REFUSALS.slice(0, 1),
  ...EDGE_REFUSALS,
  // Fastify parses the body of a POST, PUT, PATCH, DELETE or OPTIONS before it finds no route.
  ...BODY_REFUSALS,
];

/** The OpenAPI document of the app's routes, built from their decorators (no server needed). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('IPT Course Ledger')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'A JWT with sub, clinic_id, roles (clinician, auditor, analyst, admin) and exp: HS256 in ' +
        'the embedded mode, RS256/ES256 from the clinic’s identity provider otherwise.',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  addAccessLogRefusals(document);
  const notFound = PROBLEM_CODES.not_found;
  const unknownStatuses = [...new Set(UNKNOWN_ROUTE_CODES.map((c) => PROBLEM_CODES[c].status))];
  document.paths['/docs-json'] = {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI document',
      description: 'Public: no token needed. The same document, as a page, at /docs.',
      tags: ['operations'],
      'x-roles': [],
      responses: {
        '200': {
          description: 'The OpenAPI 3.0 document',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['openapi', 'paths'],
                additionalProperties: true,
                properties: {
                  openapi: { type: 'string' },
                  paths: { type: 'object', additionalProperties: true },
                },
              },
              example: {
                openapi: '3.0.0',
                info: { title: 'IPT Course Ledger', version: '1' },
                paths: { '/health/live': { get: { operationId: 'getLiveness' } } },
              },
            },
          },
        },
      },
    },
  } as OpenAPIObject['paths'][string];
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...withExamples(SCHEMAS) },
    headers: Object.fromEntries(
      Object.entries(RESPONSE_HEADERS).map(([name, { description, schema, example }]) => [
        name,
        { description, schema: { ...schema, example } },
      ]),
    ),
    responses: {
      UnknownRoute: {
        description: 'A path or method this document does not list',
        headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
        content: {
          'application/problem+json': {
            schema: {
              allOf: [
                { $ref: '#/components/schemas/Problem' },
                {
                  type: 'object',
                  additionalProperties: true,
                  properties: {
                    status: { type: 'integer', enum: unknownStatuses },
                    code: { type: 'string', enum: UNKNOWN_ROUTE_CODES },
                  },
                },
              ],
            },
            example: problemBody(notFound.status, 'not_found', notFound.detail),
          },
        },
      },
    },
  };
  shareSingleCodeProblems(document);
  return document;
}

/**
 * A status answered with one code only (401 unauthorized, 408, 414, 431, 500…)
 * is the same response on every route: stated once under
 * `components.responses` (named after its code) and referenced.
 */
function shareSingleCodeProblems(document: OpenAPIObject): void {
  const shared = (document.components!.responses ??= {});
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.post]) {
      if (!operation) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const codes = codesOf(response);
        if (codes?.length !== 1) continue;
        const name = codes[0].replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
        shared[name] ??= response!;
        operation.responses[status] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
}

function codesOf(response: unknown): string[] | undefined {
  const media = (response as ProblemResponse | undefined)?.content?.['application/problem+json'];
  return media?.schema.allOf[1].properties.code.enum;
}

type ProblemResponse = {
  content?: Record<
    string,
    { schema: { allOf: [unknown, { properties: { code: { enum: string[] } } }] } }
  >;
};

/**
 * A route whose requests the access log records answers 503
 * access_log_unavailable when the record cannot commit (access-log.hook.ts),
 * or database_unavailable when PostgreSQL (DATABASE_URL) holds the log and is
 * unreachable: added here from the hook's own list of recorded routes.
 */
function addAccessLogRefusals(document: OpenAPIObject): void {
  const [status, code] = ACCESS_LOG_UNAVAILABLE;
  for (const [template, item] of Object.entries(document.paths)) {
    if (!isRecordedRoute(template.replace(/\{([^}]+)\}/g, ':$1'))) continue;
    for (const method of ['get', 'post'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const codes = codesOf(operation.responses[String(status)]) ?? [];
      const added = [code, DATABASE_UNAVAILABLE[1]].filter((c) => !codes.includes(c));
      operation.responses[String(status)] = problemResponseObject(
        status,
        [...codes, ...added].sort(),
      );
    }
  }
}

/** OpenAPI at /docs (UI) and /docs-json (api.md). */
export function setUpOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

function withExamples(schemas: typeof SCHEMAS) {
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      const example = EXAMPLES[name as keyof typeof SCHEMAS];
      return [name, example === undefined ? schema : { ...schema, example }];
    }),
  );
}
