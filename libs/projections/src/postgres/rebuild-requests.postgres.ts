/**
 * Rebuild requests and their progress in PostgreSQL (DATABASE_URL): the same
 * table as on SQLite (migration 0003-projection-rebuilds), shared by every
 * process, so a rebuild asked on any API instance is carried out by the one
 * projector holding the advisory lock, and its progress read by all.
 */
import type { Pool, PoolClient } from 'pg';
import { whileAvailable } from '@ipt/database';
import {
  OPEN_REBUILD_PREDICATE,
  PROGRESS_SAVE_COLUMNS,
  progressValues,
  REBUILD_COLUMNS,
  toProgress,
  type RebuildRow,
  type RebuildProgress,
  type RebuildRequestStore,
} from '../rebuild/rebuild-requests';

/** Writes a rebuild's progress (also inside a switch-over's transaction, on its client). */
export async function saveRebuildProgress(
  db: Pool | PoolClient,
  p: RebuildProgress,
): Promise<void> {
  await db.query(
    `UPDATE projection_rebuilds
        SET ${PROGRESS_SAVE_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ')}
      WHERE id = $${PROGRESS_SAVE_COLUMNS.length + 1}`,
    [...progressValues(p)],
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
         ON CONFLICT (name) WHERE ${OPEN_REBUILD_PREDICATE} DO NOTHING`,
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
      `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE name = $1 AND ${OPEN_REBUILD_PREDICATE}`,
      [name],
    );
    return rows[0] && toProgress(rows[0]);
  }

  async latest(name: string): Promise<RebuildProgress | undefined> {
    const { rows } = await whileAvailable(() =>
      this.pool.query<RebuildRow>(
        `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE name = $1 ORDER BY id DESC LIMIT 1`,
        [name],
      ),
    );
    return rows[0] && toProgress(rows[0]);
  }

  save(progress: RebuildProgress): Promise<void> {
    return saveRebuildProgress(this.pool, progress);
  }
}
