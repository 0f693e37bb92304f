/**
 * A PostgreSQL projection's checkpoint as this process last read or committed
 * it. A commit moves it only from there (`UPDATE … WHERE position = from`), so
 * a projector that lost its lock without knowing fails its commit instead of
 * applying a batch twice. Shared by the read-model targets and the events tree.
 */
import type { Pool, PoolClient } from 'pg';

/** Another process moved the checkpoint: this one is no longer the projector. */
export class ProjectionFencedError extends Error {
  constructor(name: string, why = 'the checkpoint moved in another process') {
    super(`projection ${name}: ${why}; reloading`);
    this.name = 'ProjectionFencedError';
  }
}

export class FencedCheckpoint {
  private expected: bigint | undefined;
  private known = false;

  constructor(
    private readonly pool: Pool,
    private readonly name: string,
  ) {}

  /** Reads the stored checkpoint; the next commit expects to find it. */
  async read(): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ position: string }>(
      'SELECT position FROM projection_checkpoints WHERE name = $1',
      [this.name],
    );
    this.expected = rows[0] ? BigInt(rows[0].position) : undefined;
    this.known = true;
    return this.expected;
  }

  /** Where a commit beginning now expects the checkpoint (read once when unknown). */
  async expectedNow(): Promise<bigint | undefined> {
    if (!this.known) await this.read();
    return this.expected;
  }

  /**
   * From `from` to `position` in the commit's transaction, counting the events
   * of the current copy (null stays null: a copy written before they were counted).
   */
  async move(client: PoolClient, from: bigint | undefined, position: bigint, events: number) {
    const result =
      from === undefined
        ? await client.query(
            `INSERT INTO projection_checkpoints (name, position, updated_at, events)
             VALUES ($1, $2, now(), $3) ON CONFLICT (name) DO NOTHING`,
            [this.name, position.toString(), events],
          )
        : await client.query(
            `UPDATE projection_checkpoints SET position = $2, updated_at = now(), events = events + $4
              WHERE name = $1 AND position = $3`,
            [this.name, position.toString(), from.toString(), events],
          );
    if (result.rowCount !== 1) throw new ProjectionFencedError(this.name);
  }

  /** The commit to `position` went through. */
  committed(position: bigint): void {
    this.expected = position;
  }

  /** The checkpoint row was deleted with the projection's rows. */
  cleared(): void {
    this.expected = undefined;
    this.known = true;
  }

  /** Nothing known is trusted any more: the next commit reads the checkpoint again. */
  forget(): void {
    this.known = false;
  }
}
