/**
 * Rebuild requests and their progress in PostgreSQL (DATABASE_URL): the same
 * table as on SQLite (migration 0003-projection-rebuilds), shared by every
 * process, so a rebuild asked on any API instance is carried out by the one
 * projector holding the advisory lock, and its progress read by all.
 */
import type { Pool, PoolClient } from 'pg';
import { whileAvailable } from '@ipt/database';
import {
  OPEN_REBUILD_STATES,
  type RebuildProgress,
  type RebuildRequestStore,
  type RebuildState,
} from '../rebuild/rebuild-requests';

interface RebuildRow {
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

const COLUMNS =
  'id, state, requested_at, started_at, finished_at, events_done, events_total, events_per_second, seconds_left, error';
/** The predicate of the partial unique index projection_rebuilds_open. */
const OPEN = `state IN (${OPEN_REBUILD_STATES.map((s) => `'${s}'`).join(', ')})`;

const toProgress = (row: RebuildRow): RebuildProgress => ({
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

/** Writes a rebuild's progress (also inside a switch-over's transaction, on its client). */
export async function saveRebuildProgress(
  db: Pool | PoolClient,
  p: RebuildProgress,
): Promise<void> {
  await db.query(
    `UPDATE projection_rebuilds SET state = $1, started_at = $2, finished_at = $3, events_done = $4,
       events_total = $5, events_per_second = $6, seconds_left = $7, error = $8 WHERE id = $9`,
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
    ],
  );
}

export class PostgresRebuildRequests implements RebuildRequestStore {
  constructor(private readonly pool: Pool) {}

  /** Unreachable database: DatabaseUnavailableError (503 on the admin route). */
  request(name: string): Promise<RebuildProgress> {
    return whileAvailable(() => this.record(name));
  }

  private async record(name: string): Promise<RebuildProgress> {
    // The partial unique index keeps a second open request out: then the open one is answered.
    // Between the two statements the open one may finish: then ask again.
    for (let attempt = 1; ; attempt++) {
      await this.pool.query(
        `INSERT INTO projection_rebuilds (name, state, requested_at) VALUES ($1, 'requested', $2)
         ON CONFLICT (name) WHERE ${OPEN} DO NOTHING`,
        [name, new Date().toISOString()],
      );
      const open = await this.open(name);
      if (open) return open;
      if (attempt === 3)
        throw new Error(`projection ${name}: the rebuild request did not stay open`);
    }
  }

  async open(name: string): Promise<RebuildProgress | undefined> {
    const { rows } = await this.pool.query<RebuildRow>(
      `SELECT ${COLUMNS} FROM projection_rebuilds WHERE name = $1 AND ${OPEN}`,
      [name],
    );
    return rows[0] && toProgress(rows[0]);
  }

  async latest(name: string): Promise<RebuildProgress | undefined> {
    const { rows } = await whileAvailable(() =>
      this.pool.query<RebuildRow>(
        `SELECT ${COLUMNS} FROM projection_rebuilds WHERE name = $1 ORDER BY id DESC LIMIT 1`,
        [name],
      ),
    );
    return rows[0] && toProgress(rows[0]);
  }

  save(progress: RebuildProgress): Promise<void> {
    return saveRebuildProgress(this.pool, progress);
  }
}
