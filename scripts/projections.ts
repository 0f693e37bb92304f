/**
 * npm run projections -- <command>: the projections of the deployment, for
 * operators: in the shared PostgreSQL database with DATABASE_URL, else in
 * DATA_DIR (its shared read-model file).
 *
 *   list                 each projection: state, checkpoint and last rebuild
 *   rebuild <name>       asks for a rebuild without an outage and follows it with a
 *                        progress bar on stderr until it is switched over
 *   rebuild <name> --no-wait   asks and returns at once
 *
 * The rebuild itself is carried out by the process that runs the projections
 * (the API with RUN_PROJECTIONS=true, else the projector worker; with
 * DATABASE_URL, whichever holds the projector's lock), which looks
 * for requests every second: this tool only records the request and reads the
 * progress, so it may run anywhere the shared state is reachable.
 * Exit 0: done; 1: the rebuild failed; 2: cannot run (bad arguments, no data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from '@ipt/config';
import { openSharedDatabase } from '@ipt/database';
import {
  PostgresRebuildRequests,
  RebuildRequests,
  createReadModelProjections,
  openReadModelDatabase,
  sqliteRebuildRequestStore,
  type RebuildProgress,
  type RebuildRequestStore,
} from '@ipt/projections';

interface Checkpoint {
  name: string;
  position: string;
  events: number | null;
}

/** Where the read models are: requests, checkpoints, and how to let go of it. */
interface ReadModelState {
  requests: RebuildRequestStore;
  checkpoints(): Promise<Checkpoint[]>;
  close(): Promise<void>;
}

const CANNOT_RUN = 2;
const POLL_MS = 200;
/** After this long still `requested`, say that no process has picked it up. */
const NOBODY_MS = 5000;

const USAGE = 'usage: npm run projections -- list | rebuild <name> [--no-wait]';

async function main(args: string[]): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) return cannotRun(error.message);
    throw error;
  }
  const names = createReadModelProjections().map((p) => p.name);
  const [command, name, ...flags] = args;
  if (command !== 'list' && command !== 'rebuild') return cannotRun(USAGE);
  if (command === 'rebuild' && !names.includes(name ?? ''))
    return cannotRun(
      `no projection named ${JSON.stringify(name ?? '')}; one of ${names.join(', ')}`,
    );
  let state: ReadModelState;
  if (config.databaseUrl) {
    const pool = await openSharedDatabase(config.databaseUrl, { max: 2 });
    state = {
      requests: new PostgresRebuildRequests(pool),
      checkpoints: async () =>
        (await pool.query<Checkpoint>('SELECT name, position, events FROM projection_checkpoints'))
          .rows,
      close: () => pool.end(),
    };
  } else {
    if (!fs.existsSync(path.join(config.dataDir, 'read-models.sqlite')))
      return cannotRun(`no read models in ${config.dataDir} (read-models.sqlite is missing)`);
    const db = openReadModelDatabase(config.dataDir);
    state = {
      requests: sqliteRebuildRequestStore(new RebuildRequests(db)),
      checkpoints: () =>
        Promise.resolve(
          db
            .prepare('SELECT name, position, events FROM projection_checkpoints')
            .all() as Checkpoint[],
        ),
      close: () => Promise.resolve(db.close()),
    };
  }
  try {
    const { requests } = state;
    if (command === 'list') {
      await list(state, names);
      return 0;
    }
    const asked = await requests.request(name!);
    process.stderr.write(
      `rebuild ${asked.id} of ${name}: ${asked.state === 'requested' ? 'asked for' : `already ${asked.state}`}\n`,
    );
    if (flags.includes('--no-wait')) return 0;
    return await follow(requests, name!, asked.id);
  } finally {
    await state.close();
  }
}

async function list(state: ReadModelState, names: string[]): Promise<void> {
  const checkpoints = new Map((await state.checkpoints()).map((r) => [r.name, r]));
  for (const name of names) {
    const checkpoint = checkpoints.get(name);
    const rebuild = await state.requests.latest(name);
    process.stdout.write(
      `${name}: checkpoint ${checkpoint?.position ?? 'none'}, ${checkpoint?.events ?? 'unknown'} events; ` +
        `${rebuild ? describe(rebuild) : 'never rebuilt'}\n`,
    );
  }
}

function describe(p: RebuildProgress): string {
  const figures = `${p.eventsDone}/${p.eventsTotal ?? '?'} events`;
  switch (p.state) {
    case 'done':
      return `rebuild ${p.id} done at ${p.finishedAt} (${figures}, ${p.eventsPerSecond ?? '?'}/s)`;
    case 'failed':
      return `rebuild ${p.id} failed at ${p.finishedAt}: ${p.error}`;
    default:
      return `rebuild ${p.id} ${p.state} (${figures})`;
  }
}

/** Follows the rebuild until it is done or failed, with a progress bar. */
async function follow(requests: RebuildRequestStore, name: string, id: number): Promise<number> {
  const bar = new SingleBar({
    format: `${name} [{bar}] {value}/{total} events | {rate}/s | {left} left | {phase}`,
    stream: process.stderr,
    hideCursor: true,
  });
  const askedAt = Date.now();
  let started = false;
  let told = false;
  for (;;) {
    const p = await requests.latest(name);
    if (!p || p.id !== id) return cannotRun('the rebuild request is gone');
    if (p.state === 'requested' && !told && Date.now() - askedAt > NOBODY_MS) {
      told = true;
      process.stderr.write(
        'waiting: no process has started it yet (the API with RUN_PROJECTIONS=true or the projector, on this DATA_DIR or DATABASE_URL)\n',
      );
    }
    if (p.state !== 'requested') {
      const values = {
        rate: p.eventsPerSecond === null ? '-' : Math.round(p.eventsPerSecond).toLocaleString('en'),
        left: p.secondsLeft === null ? '-' : `${p.secondsLeft} s`,
        phase: p.state,
      };
      const total = Math.max(p.eventsTotal ?? 0, p.eventsDone, 1);
      if (!started) {
        bar.start(total, p.eventsDone, values);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.eventsDone, values);
      }
    }
    if (p.state === 'done' || p.state === 'failed') {
      if (started) bar.stop();
      process.stdout.write(`${name}: ${describe(p)}\n`);
      return p.state === 'done' ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function cannotRun(message: string): number {
  process.stderr.write(`projections: cannot run: ${message}\n`);
  return CANNOT_RUN;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`projections: cannot run: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(CANNOT_RUN);
  },
);
