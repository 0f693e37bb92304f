/**
 * Emmett's event stores as append targets for the append workload
 * (append-workload.ts), to compare with the embedded store in the same run.
 * Each lives in its own folder with its own lock file (bench/emmett-sqlite,
 * bench/emmett-postgresql): the SQLite store is published up to Emmett 0.38,
 * the PostgreSQL one at 0.42, and each pins its own Emmett. They are
 * installed there on first use (npm ci), never into the service.
 *
 * Emmett's stream version counts events (a new stream is at 0, after one
 * event at 1); our revision is the last event's index (-1: no stream).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { AppendTarget, BenchEvent } from './append-workload';

interface EmmettStore {
  appendToStream(
    streamName: string,
    events: { type: string; data: unknown; metadata?: unknown }[],
    options: { expectedStreamVersion: unknown },
  ): Promise<unknown>;
  close?(): Promise<void>;
}

/** Loads a package from one of the bench's own folders, installing that folder first when needed. */
function loadFrom<T>(folder: string, name: string): T {
  const dir = path.join(__dirname, folder);
  if (!fs.existsSync(path.join(dir, 'node_modules', ...name.split('/')))) {
    console.log(`installing ${folder} (npm ci)…`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  return createRequire(path.join(dir, 'package.json'))(name) as T;
}

const emmettEvent = (event: BenchEvent) => ({
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata, eventId: event.eventId },
});

/**
 * Emmett's SQLite store (sqlite3 driver, WAL, SQLite's default
 * synchronous=FULL: each commit is fsynced). One store instance holds one
 * connection and closes it after each operation, so concurrent calls on one
 * instance break each other; the appends of the 64 writers are therefore
 * taken one at a time, as one instance can do them. Even one at a time, some
 * of its COMMITs fail with SQLITE_BUSY ("SQL statements in progress": the
 * previous call's connection is closed without waiting); such an append is
 * rolled back and is retried here (counted in `retries`).
 */
export function emmettSqliteTarget(
  file: string,
): AppendTarget & { close(): Promise<void>; retries(): number } {
  const emmett = loadFrom<{ STREAM_DOES_NOT_EXIST: unknown }>(
    'emmett-sqlite',
    '@event-driven-io/emmett',
  );
  const { getSQLiteEventStore } = loadFrom<{
    getSQLiteEventStore(options: { fileName: string }): EmmettStore;
  }>('emmett-sqlite', '@event-driven-io/emmett-sqlite');
  const store = getSQLiteEventStore({ fileName: file });
  let turn: Promise<unknown> = Promise.resolve();
  let retries = 0;
  return {
    name: "Emmett's SQLite event store",
    retries: () => retries,
    append: (streamId, expected, event) => {
      const run = async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await store.appendToStream(streamId, [emmettEvent(event)], {
              expectedStreamVersion:
                expected < 0 ? emmett.STREAM_DOES_NOT_EXIST : BigInt(expected + 1),
            });
          } catch (error) {
            if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 10) throw error;
            retries++;
          }
        }
      };
      const result = turn.then(run, run);
      turn = result.catch(() => undefined);
      return result.then(() => undefined);
    },
    close: async () => {
      await turn;
      await store.close?.();
    },
  };
}

/** Emmett's PostgreSQL store on `connectionString` (pooled; PostgreSQL fsyncs each commit with synchronous_commit=on). */
export function emmettPostgresTarget(
  connectionString: string,
): AppendTarget & { close(): Promise<void> } {
  const emmett = loadFrom<{ STREAM_DOES_NOT_EXIST: unknown }>(
    'emmett-postgresql',
    '@event-driven-io/emmett',
  );
  const { getPostgreSQLEventStore } = loadFrom<{
    getPostgreSQLEventStore(connectionString: string): EmmettStore;
  }>('emmett-postgresql', '@event-driven-io/emmett-postgresql');
  const store = getPostgreSQLEventStore(connectionString);
  return {
    name: "Emmett's PostgreSQL event store",
    append: async (streamId, expected, event) => {
      await store.appendToStream(streamId, [emmettEvent(event)], {
        expectedStreamVersion: expected < 0 ? emmett.STREAM_DOES_NOT_EXIST : BigInt(expected + 1),
      });
    },
    close: async () => {
      await store.close?.();
    },
  };
}

/** A fresh database on the server of `adminUrl` (postgres://user@host:port/db); dropped by the returned function. */
export async function freshPostgresDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const { Client } = loadFrom<{
    Client: new (url: string) => {
      connect(): Promise<void>;
      query(sql: string): Promise<unknown>;
      end(): Promise<void>;
    };
  }>('emmett-postgresql', 'pg');
  const admin = new Client(adminUrl);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client(adminUrl);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
