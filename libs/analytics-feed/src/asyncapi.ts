/**
 * The AsyncAPI 3.0 document of the analytics feed lives in docs/asyncapi.json
 * (kept in the repo, reviewed like code); the API serves it at /asyncapi.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const DOCUMENT = join('docs', 'asyncapi.json');

let cached: string | undefined;

/** Walks up from this file: the same lookup works from src/ under ts-jest and from dist/ after a build. */
export function asyncApiDocumentPath(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, DOCUMENT);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${DOCUMENT} not found above ${from}`);
  }
}

/** A fresh copy of the document on every call, so a caller that edits it (e.g. servers) changes nobody else's. */
export function loadAsyncApiDocument(): Record<string, unknown> {
  cached ??= readFileSync(asyncApiDocumentPath(), 'utf8');
  return JSON.parse(cached) as Record<string, unknown>;
}
