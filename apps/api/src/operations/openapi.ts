import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RESPONSE_HEADERS } from '../http/openapi/contract';
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

A path or method not in this document is answered \`404\` with the problem of
\`#/components/responses/UnknownRoute\` (code \`not_found\`).`;

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
  const notFound = PROBLEM_CODES.not_found;
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
        content: {
          'application/problem+json': {
            schema: {
              allOf: [
                { $ref: '#/components/schemas/Problem' },
                {
                  type: 'object',
                  additionalProperties: true,
                  properties: {
                    status: { type: 'integer', enum: [notFound.status] },
                    code: { type: 'string', enum: ['not_found'] },
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
  return document;
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
