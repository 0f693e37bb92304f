import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import { IdempotencyRecords, type CommandAnswer } from './idempotency-records';

/** Idempotency records in the embedded mode's read-model SQLite file. */
export class SqliteIdempotencyRecords extends IdempotencyRecords {
  private readonly findStatement: SqliteStatement<[string, string], { answer: string }>;
  private readonly saveStatement: SqliteStatement<[string, string, string, string]>;

  constructor(db: SqliteDatabase) {
    super();
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      clinic_id TEXT NOT NULL,
      key TEXT NOT NULL,
      answer TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      PRIMARY KEY (clinic_id, key)
    ) WITHOUT ROWID`);
    this.findStatement = db.prepare(
      'SELECT answer FROM idempotency_keys WHERE clinic_id = ? AND key = ?',
    );
    this.saveStatement = db.prepare(
      'INSERT OR IGNORE INTO idempotency_keys (clinic_id, key, answer, recorded_at) VALUES (?, ?, ?, ?)',
    );
  }

  find(clinicId: string, key: string): Promise<CommandAnswer | undefined> {
    const row = this.findStatement.get(clinicId, key);
    return Promise.resolve(row ? (JSON.parse(row.answer) as CommandAnswer) : undefined);
  }

  save(clinicId: string, key: string, answer: CommandAnswer): Promise<void> {
    this.saveStatement.run(clinicId, key, JSON.stringify(answer), new Date().toISOString());
    return Promise.resolve();
  }
}
