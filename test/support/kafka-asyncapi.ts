/** Validates messages against the schemas of docs/asyncapi.json (JSON Schema, as AsyncAPI 3.0's default schema format). */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { loadAsyncApiDocument } from '@ipt/analytics-feed';

export interface FeedSchemas {
  /** Validates a CloudEvent against the schema of its own type (from `type`); returns the errors, empty when valid. */
  cloudEvent(value: unknown): string[];
  snapshot(value: unknown): string[];
  /** The CloudEvent schema name per CloudEvents `type`. */
  types: Map<string, string>;
}

export function feedSchemas(): FeedSchemas {
  const doc = loadAsyncApiDocument() as {
    components: {
      schemas: Record<string, { allOf?: { properties?: { type?: { const?: string } } }[] }>;
    };
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // AsyncAPI's top-level `id` is not JSON Schema's; Ajv would read it as the draft-04 keyword.
  const { id: _id, ...document } = doc as typeof doc & { id?: string };
  ajv.addSchema({ ...document, $id: 'asyncapi' });
  const types = new Map<string, string>();
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const type = schema.allOf?.[1]?.properties?.type?.const;
    if (name.endsWith('CloudEvent') && type) types.set(type, name);
  }
  const compiled = new Map<string, ValidateFunction>();
  const validator = (name: string): ValidateFunction => {
    let v = compiled.get(name);
    if (!v) {
      v = ajv.getSchema(`asyncapi#/components/schemas/${name}`);
      if (!v) throw new Error(`no schema ${name} in the AsyncAPI document`);
      compiled.set(name, v);
    }
    return v;
  };
  const errors = (v: ValidateFunction, value: unknown): string[] =>
    v(value)
      ? []
      : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  return {
    types,
    cloudEvent(value) {
      const type = (value as { type?: unknown }).type;
      const name = typeof type === 'string' ? types.get(type) : undefined;
      if (!name) return [`no schema for CloudEvents type ${String(type)}`];
      return errors(validator(name), value);
    },
    snapshot: (value) => errors(validator('CourseOutcomesSnapshot'), value),
  };
}
