/**
 * The contract check of the end-to-end suites (issue 15): every answer a
 * suite receives over HTTP is validated against the OpenAPI document the API
 * serves (docs/openapi.json, which a unit spec keeps equal to what the build
 * generates). The operation is found by method and path template, the
 * response by status; then the media type, the API's own headers and the body
 * (ajv, with the document's component schemas compiled) must be documented.
 * Undeclared object properties are refused, so a field the document does not
 * state fails as surely as a missing one. No route, status or field is exempt.
 *
 * A path or method the document does not list must be answered as
 * `components.responses.UnknownRoute` says.
 *
 * Each jest worker counts the answers it validated in
 * `.tmp/openapi-contract/<pid>-<uuid>.json` (one per test file); the summary
 * reporter adds them up.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const ROOT = path.resolve(__dirname, '../..');
export const OPENAPI_FILE = path.join(ROOT, 'docs/openapi.json');
export const CONTRACT_COUNT_DIR = path.join(ROOT, '.tmp/openapi-contract');

/** Headers of HTTP itself, not of the API: never documented per response. */
const TRANSPORT_HEADERS = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'content-type',
]);

type Json = Record<string, any>;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  responses: Record<string, Json>;
}

export interface ContractAnswer {
  method: string;
  /** Path and query as sent (absolute URLs are reduced to their path). */
  url: string;
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body as text. */
  text: string;
}

class OpenApiContract {
  private readonly document: Json;
  private readonly operations: Operation[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<Json, ValidateFunction>();
  /** Answers validated, by `METHOD /template status` (`unknown route status` for the others). */
  private counts: { answers: number; byResponse: Record<string, number> } = {
    answers: 0,
    byResponse: {},
  };

  /** Jest loads this module afresh for each test file, even in one worker: one file per load. */
  private readonly countFile = `${process.pid}-${randomUUID()}`;

  constructor(file: string) {
    this.document = JSON.parse(fs.readFileSync(file, 'utf8'));
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({
      $id: 'openapi.json',
      components: { schemas: toJsonSchema(this.document.components.schemas) },
    });
    this.operations = [];
    for (const [template, item] of Object.entries<Json>(this.document.paths)) {
      const pattern = new RegExp(
        '^' +
          template
            .split(/\{[^}]+\}/)
            .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
            .join('[^/]+') +
          '$',
      );
      for (const [method, operation] of Object.entries<Json>(item)) {
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern,
          responses: operation.responses,
        });
      }
    }
  }

  /** Throws, naming what is undocumented, unless the document states this answer. */
  check(answer: ContractAnswer): void {
    const pathname = answer.url.startsWith('/')
      ? answer.url.split('?')[0]
      : new URL(answer.url).pathname;
    const method = answer.method.toUpperCase();
    const operation = this.operations.find(
      (o) => o.method === (method === 'HEAD' ? 'GET' : method) && o.pattern.test(pathname),
    );
    const name = operation ? `${operation.method} ${operation.template}` : 'unknown route';
    const stated = operation
      ? operation.responses[String(answer.status)]
      : this.document.components.responses.UnknownRoute;
    const response = stated?.$ref ? this.resolve(stated.$ref) : stated;
    const where = `${method} ${pathname} → ${answer.status} (${name})`;
    if (!response) throw new Error(`undocumented status: ${where}`);
    this.checkHeaders(where, answer, response);
    if (method !== 'HEAD') this.checkBody(where, answer, response);
    this.count(`${name} ${answer.status}`);
  }

  private checkHeaders(where: string, answer: ContractAnswer, response: Json): void {
    const documented = new Set(Object.keys(response.headers ?? {}).map((h) => h.toLowerCase()));
    for (const header of Object.keys(answer.headers)) {
      if (!TRANSPORT_HEADERS.has(header) && !documented.has(header))
        throw new Error(`undocumented header ${header}: ${where}`);
    }
    for (const [header, spec] of Object.entries<Json>(response.headers ?? {})) {
      const value = answer.headers[header.toLowerCase()];
      const schema = spec.$ref ? this.resolve(spec.$ref).schema : spec.schema;
      if (value !== undefined) this.validate(`${where}, header ${header}`, schema, value);
    }
  }

  private checkBody(where: string, answer: ContractAnswer, response: Json): void {
    const content: Record<string, Json> = response.content ?? {};
    if (answer.text === '') {
      if (Object.keys(content).length > 0) throw new Error(`empty body, documented one: ${where}`);
      return;
    }
    const mediaType = (answer.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const media = content[mediaType];
    if (!media) throw new Error(`undocumented media type ${mediaType || '(none)'}: ${where}`);
    let body: unknown = answer.text;
    if (/json$/.test(mediaType)) {
      try {
        body = JSON.parse(answer.text);
      } catch {
        throw new Error(`body is not JSON: ${where}`);
      }
    }
    this.validate(where, media.schema, body);
  }

  private validate(where: string, schema: Json, value: unknown): void {
    let validator = this.validators.get(schema);
    if (!validator) {
      validator = this.ajv.compile(toJsonSchema(schema));
      this.validators.set(schema, validator);
    }
    if (!validator(value)) {
      const errors = [
        ...new Set(
          (validator.errors ?? []).map(
            (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
          ),
        ),
      ]
        .slice(0, 8)
        .join('; ');
      throw new Error(`answer not as documented: ${where}: ${errors}`);
    }
  }

  private resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: Json, key) => node[key], this.document);
  }

  private count(key: string): void {
    this.counts.answers++;
    this.counts.byResponse[key] = (this.counts.byResponse[key] ?? 0) + 1;
    fs.mkdirSync(CONTRACT_COUNT_DIR, { recursive: true });
    fs.writeFileSync(
      path.join(CONTRACT_COUNT_DIR, `${this.countFile}.json`),
      JSON.stringify(this.counts),
    );
  }
}

/**
 * OpenAPI 3.0 schema → JSON Schema for ajv: `nullable` becomes a union with
 * null, references point into the compiled components, and an object that
 * lists its properties without saying `additionalProperties` gets `false`.
 */
export function toJsonSchema(schema: any): any {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries<any>(schema)) {
    if (key === 'example' || key === 'nullable') continue;
    if (key === '$ref') out.$ref = String(value).replace(/^#/, 'openapi.json#');
    else if (key === 'properties' || key === 'schemas')
      out[key] = Object.fromEntries(
        Object.entries<any>(value).map(([name, sub]) => [name, toJsonSchema(sub)]),
      );
    else out[key] = toJsonSchema(value);
  }
  const composite = out.allOf || out.oneOf || out.anyOf;
  if (out.properties && out.additionalProperties === undefined && !composite)
    out.additionalProperties = false;
  return schema.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

let contract: OpenApiContract | undefined;

/** Validates one answer against the document (loaded once per worker). */
export function checkAnswer(answer: ContractAnswer): void {
  contract ??= new OpenApiContract(OPENAPI_FILE);
  contract.check(answer);
}

/** The headers of a fetch Response as a plain object with lower-case names. */
export function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name] = value));
  return out;
}
