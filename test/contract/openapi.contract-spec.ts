/**
 * The OpenAPI document and the typed client (issue 15): the checked-in
 * docs/openapi.json is what the build generates from the routes' decorators,
 * it is valid OpenAPI 3.0 for an independent validator, every example in it
 * is an instance of its schema, and libs/client/src/schema.d.ts is what
 * openapi-typescript makes of it. `npm run client:generate` rewrites both.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { COMMAND_REFUSALS, COURSE_RULE_CODES } from '@ipt/course';
import { PROBLEM_CODES } from '../../apps/api/src/http/problem.filter';
import { OPENAPI_FILE, toJsonSchema } from '../support/openapi-contract';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'dist/scripts/openapi.js');
const CLIENT_SCHEMA = path.join(ROOT, 'libs/client/src/schema.d.ts');
const REGENERATE = 'run `npm run client:generate` and commit docs/openapi.json and libs/client';

const document = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
/** A response, or the shared one it references. */
const resolved = (response: any): any =>
  response.$ref
    ? response.$ref
        .slice(2)
        .split('/')
        .reduce((node: any, key: string) => node[key], document)
    : response;
const operations = Object.entries<any>(document.paths).flatMap(([template, item]) =>
  Object.entries<any>(item).map(([method, operation]) => ({
    name: `${method.toUpperCase()} ${template}`,
    operation: {
      ...operation,
      responses: Object.fromEntries(
        Object.entries<any>(operation.responses).map(([s, r]) => [s, resolved(r)]),
      ),
    },
  })),
);

describe('the OpenAPI document', () => {
  it('is the one the build generates from the routes (docs/openapi.json is current)', () => {
    if (!fs.existsSync(SCRIPT)) throw new Error(`no build at ${SCRIPT}: run npm run build`);
    const generated = execFileSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    if (generated !== fs.readFileSync(OPENAPI_FILE, 'utf8'))
      throw new Error(`docs/openapi.json is not current: ${REGENERATE}`);
  });

  it('is valid OpenAPI 3.0 for an independent validator', () => {
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    const out = execFileSync(process.execPath, [cli, OPENAPI_FILE], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ valid: true });
  });

  it('states roles, a success body with an example and problem+json for every operation', () => {
    expect(operations.length).toBeGreaterThanOrEqual(32);
    const missing: string[] = [];
    for (const { name, operation } of operations) {
      if (!operation.operationId) missing.push(`${name}: operationId`);
      if (!Array.isArray(operation['x-roles'])) missing.push(`${name}: x-roles`);
      if (operation['x-roles']?.length > 0 && !operation.security)
        missing.push(`${name}: security`);
      const statuses = Object.keys(operation.responses);
      const success = statuses.filter((s) => /^2/.test(s));
      if (success.length !== 1) missing.push(`${name}: one success status`);
      for (const status of statuses) {
        const response = operation.responses[status];
        const media = Object.values<any>(response.content ?? {});
        if (media.length === 0) missing.push(`${name} ${status}: a body`);
        if (media.some((m) => m.example === undefined && !m.schema?.$ref))
          missing.push(`${name} ${status}: an example`);
        // Every error is problem+json; readiness's 503 alone is the readiness report itself.
        const readiness = media.some((m) => m.schema?.$ref === '#/components/schemas/Readiness');
        if (Number(status) >= 400 && !readiness && !response.content?.['application/problem+json'])
          missing.push(`${name} ${status}: problem+json`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists per status only codes of that status, the table of the HTTP edge', () => {
    const wrong: string[] = [];
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        const problem = response.content?.['application/problem+json'];
        if (!problem) continue;
        const codes: string[] = problem.schema.allOf[1].properties.code.enum;
        for (const code of codes)
          if (PROBLEM_CODES[code]?.status !== Number(status))
            wrong.push(`${name} ${status} ${code}`);
        if (problem.example.status !== Number(status) || !codes.includes(problem.example.code))
          wrong.push(`${name} ${status}: example`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('documents every code the domain can refuse a command with, on that command’s route', () => {
    const listed = new Set(Object.values(COMMAND_REFUSALS).flat());
    expect(COURSE_RULE_CODES.filter((code) => !listed.has(code))).toEqual([]);
    const enroll = document.paths['/v1/courses'].post.responses;
    expect(
      enroll['422'].content['application/problem+json'].schema.allOf[1].properties.code.enum,
    ).toEqual(expect.arrayContaining(['ineligible', 'idempotency_key_reused']));
  });

  it('has examples that are instances of their schemas (undeclared properties refused)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addSchema({
      $id: 'openapi.json',
      components: { schemas: toJsonSchema(document.components.schemas) },
    });
    const failures: string[] = [];
    const check = (where: string, schema: unknown, example: unknown) => {
      const validate = ajv.compile(toJsonSchema(schema));
      if (!validate(example)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    };
    for (const [name, schema] of Object.entries<any>(document.components.schemas)) {
      if (schema.example !== undefined)
        check(`schema ${name}`, { $ref: `#/components/schemas/${name}` }, schema.example);
    }
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        for (const [type, media] of Object.entries<any>(response.content ?? {})) {
          if (media.example !== undefined)
            check(`${name} ${status} ${type}`, media.schema, media.example);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('the README for integrators', () => {
  it('tables every problem code the service answers with, under its status', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rows = readme
      .split('\n')
      .map((line) => /^\| (\d{3}) \| (.+?) \|/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null);
    const missing = Object.entries(PROBLEM_CODES)
      .filter(
        ([code, { status }]) =>
          !rows.some(([, s, codes]) => Number(s) === status && codes.includes(`\`${code}\``)),
      )
      .map(([code, { status }]) => `${status} ${code}`);
    expect(missing).toEqual([]);
  });
});

describe('the typed client (libs/client)', () => {
  it('is generated from the current document by openapi-typescript', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-client-')), 'schema.d.ts');
    // The package's exports do not list its CLI: the file itself.
    const cli = path.join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
    execFileSync(process.execPath, [cli, OPENAPI_FILE, '-o', out], { stdio: 'pipe' });
    if (fs.readFileSync(out, 'utf8') !== fs.readFileSync(CLIENT_SCHEMA, 'utf8'))
      throw new Error(`libs/client/src/schema.d.ts is not current: ${REGENERATE}`);
  });
});
