/**
 * Rebuild requests and their progress, in the shared read-model database
 * (on SQLite: DATA_DIR/read-models.sqlite). Whoever asks for a rebuild (an
 * API instance, `npm run projections -- rebuild`) records a request here; the
 * process that runs the projections (the API with RUN_PROJECTIONS=true, else
 * the projector) polls for it, carries it out and writes its progress back,
 * which every process reads. At most one open (not done, not failed) rebuild
 * per projection: asking again while one is open answers that one.
 *
 * Part of the read-model storage seam: a PostgreSQL adapter keeps the same
 * table in its database.
 */
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';

export type RebuildState =
  /** Recorded; the process that runs the projections has not started it yet. */
  | 'requested'
  /** Freeing copies no one reads (a copy retired earlier, a shadow left by a crash). */
  | 'preparing'
  /** Replaying the log into the shadow copy while the current copy answers. */
  | 'replaying'
  /** Caught up: writing the last rows and switching over. */
  | 'switching'
  | 'done'
  /** Stopped at an event it cannot read (`error` says which); the current copy is kept. */
  | 'failed';

export const OPEN_REBUILD_STATES: readonly RebuildState[] = [
  'requested',
  'preparing',
  'replaying',
  'switching',
];

export interface RebuildProgress {
  /** Numbers the rebuilds of this database, in the order asked. */
  id: number;
  state: RebuildState;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Events replayed into the shadow copy so far. */
  eventsDone: number;
  /** Events it has to replay to catch up (grows while commands arrive); null before it starts. */
  eventsTotal: number | null;
  /** Recent replay rate; null before the first slice. */
  eventsPerSecond: number | null;
  /** At the recent rate; null when unknown. */
  secondsLeft: number | null;
  /** Why it failed (names an event and a field, never data). */
  error: string | null;
}

/** A stored rebuild, as both databases' tables name its columns. */
export interface RebuildRow {
  id: number;
  state: RebuildState;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  events_done: number;
  events_total: number | null;
  events_per_second: number | null;
  seconds_left: number | null;
  error: string | null;
}

export const REBUILD_COLUMNS =
  'id, state, requested_at, started_at, finished_at, events_done, events_total, events_per_second, seconds_left, error';
/** The predicate of the partial unique index projection_rebuilds_open. */
export const OPEN_REBUILD_PREDICATE = `state IN (${OPEN_REBUILD_STATES.map((s) => `'${s}'`).join(', ')})`;

/** The columns a progress save writes, in the order of `progressValues`. */
export const PROGRESS_SAVE_COLUMNS = [
  'state',
  'started_at',
  'finished_at',
  'events_done',
  'events_total',
  'events_per_second',
  'seconds_left',
  'error',
] as const;

/** A progress save's parameters: PROGRESS_SAVE_COLUMNS, then the rebuild's id. */
export const progressValues = (p: RebuildProgress) =>
  [
    p.state,
    p.startedAt,
    p.finishedAt,
    p.eventsDone,
    p.eventsTotal,
    p.eventsPerSecond,
    p.secondsLeft,
    p.error,
    p.id,
  ] as const;

export function migrateRebuildRequests(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS projection_rebuilds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    events_done INTEGER NOT NULL DEFAULT 0,
    events_total INTEGER,
    events_per_second REAL,
    seconds_left REAL,
    error TEXT
  )`);
  db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS projection_rebuilds_open
    ON projection_rebuilds (name) WHERE ${OPEN_REBUILD_PREDICATE}`);
  db.exec(
    'CREATE INDEX IF NOT EXISTS projection_rebuilds_by_name ON projection_rebuilds (name, id)',
  );
}

export const toProgress = (row: RebuildRow): RebuildProgress => ({
  id: row.id,
  state: row.state,
  requestedAt: row.requested_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  eventsDone: row.events_done,
  eventsTotal: row.events_total,
  eventsPerSecond: row.events_per_second,
  secondsLeft: row.seconds_left,
  error: row.error,
});

/**
 * The requests and their progress as a port: SQLite (below) and PostgreSQL
 * (postgres/) keep the same table beside their read models.
 */
export interface RebuildRequestStore {
  /** Records a request unless one is open; answers the open one. */
  request(name: string): Promise<RebuildProgress>;
  /** The rebuild of this projection that is asked for or under way. */
  open(name: string): Promise<RebuildProgress | undefined>;
  /** The newest rebuild of this projection, open or finished. */
  latest(name: string): Promise<RebuildProgress | undefined>;
  /** The same, read at once, where the database allows a synchronous read (SQLite). */
  latestNow?(name: string): RebuildProgress | undefined;
  save(progress: RebuildProgress): Promise<void>;
}

/** The SQLite requests as the port (the synchronous class stays for the CLI). */
export function sqliteRebuildRequestStore(requests: RebuildRequests): RebuildRequestStore {
  return {
    request: (name) => Promise.resolve(requests.request(name)),
    open: (name) => Promise.resolve(requests.open(name)),
    latest: (name) => Promise.resolve(requests.latest(name)),
    latestNow: (name) => requests.latest(name),
    save: (progress) => Promise.resolve(requests.save(progress)),
  };
}

export class RebuildRequests {
  private readonly stmt: {
    insert: SqliteStatement<[string, string]>;
    open: SqliteStatement<[string], RebuildRow>;
    latest: SqliteStatement<[string], RebuildRow>;
    save: SqliteStatement<unknown[]>;
  };

  constructor(private readonly db: SqliteDatabase) {
    migrateRebuildRequests(db);
    this.stmt = {
      // The partial unique index keeps a second open request out: then the open one is answered.
      insert: db.prepare(
        `INSERT OR IGNORE INTO projection_rebuilds (name, state, requested_at) VALUES (?, 'requested', ?)`,
      ),
      open: db.prepare(
        `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE name = ? AND ${OPEN_REBUILD_PREDICATE}`,
      ),
      latest: db.prepare(
        `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE name = ? ORDER BY id DESC LIMIT 1`,
      ),
      save: db.prepare(
        `UPDATE projection_rebuilds SET ${PROGRESS_SAVE_COLUMNS.map((c) => `${c} = ?`).join(', ')}
          WHERE id = ?`,
      ),
    };
  }

  /** Records a request unless one is open; answers the open one. */
  request(name: string, at = new Date()): RebuildProgress {
    return this.db.transaction(() => {
      this.stmt.insert.run(name, at.toISOString());
      return toProgress(this.stmt.open.get(name)!);
    })();
  }

  /** The rebuild of this projection that is asked for or under way. */
  open(name: string): RebuildProgress | undefined {
    const row = this.stmt.open.get(name);
    return row && toProgress(row);
  }

  /** The newest rebuild of this projection, open or finished. */
  latest(name: string): RebuildProgress | undefined {
    const row = this.stmt.latest.get(name);
    return row && toProgress(row);
  }

  save(p: RebuildProgress): void {
    this.stmt.save.run(...progressValues(p));
  }
}
