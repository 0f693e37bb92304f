import type { Pool } from 'pg';
import { whileAvailable } from '@ipt/database';
import { IdempotencyRecords, type CommandAnswer } from './idempotency-records';

/**
 * Idempotency records in PostgreSQL (DATABASE_URL), shared by every API
 * instance: a key answered on one instance is answered the same on another.
 * The table comes from the migrations of @ipt/database.
 */
export class PostgresIdempotencyRecords extends IdempotencyRecords {
  constructor(private readonly pool: Pool) {
    super();
  }

  find(clinicId: string, key: string): Promise<CommandAnswer | undefined> {
    return whileAvailable(async () => {
      const { rows } = await this.pool.query<{ answer: string }>({
        name: 'idempotency-find',
        text: 'SELECT answer FROM idempotency_keys WHERE clinic_id = $1 AND key = $2',
        values: [clinicId, key],
      });
      return rows[0] ? (JSON.parse(rows[0].answer) as CommandAnswer) : undefined;
    });
  }

  save(clinicId: string, key: string, answer: CommandAnswer): Promise<void> {
    return whileAvailable(async () => {
      await this.pool.query({
        name: 'idempotency-save',
        text: `INSERT INTO idempotency_keys (clinic_id, key, answer, recorded_at)
               VALUES ($1, $2, $3, now()) ON CONFLICT (clinic_id, key) DO NOTHING`,
        values: [clinicId, key, JSON.stringify(answer)],
      });
    });
  }
}
