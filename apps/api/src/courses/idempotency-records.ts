/**
 * The first answer to each Idempotency-Key, per clinic (domain rule 15). The
 * event stream is the source of truth (keys travel in event metadata); this
 * table adds what the stream cannot: a key reused on another course.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { SqliteDatabase, SqliteStatement } from '@ipt/event-store';
import { LOCAL_DATABASE } from '../infrastructure/local-database';

export interface CommandAnswer {
  status: 200 | 201;
  body: {
    courseId: string;
    revision: number;
    total?: number | null;
    severity?: string | null;
    riskFlagId?: string | null;
    /** An erasure's receipt (privacy.md). */
    keyId?: string;
    erasedAt?: string;
  };
  /** Digest of the request that produced the answer. */
  requestDigest: string;
}

@Injectable()
export class IdempotencyRecords implements OnModuleInit {
  private findStatement!: SqliteStatement<[string, string], { answer: string }>;
  private saveStatement!: SqliteStatement<[string, string, string, string]>;

  constructor(@Inject(LOCAL_DATABASE) private readonly db: SqliteDatabase) {}

  onModuleInit(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      clinic_id TEXT NOT NULL,
      key TEXT NOT NULL,
      answer TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      PRIMARY KEY (clinic_id, key)
    ) WITHOUT ROWID`);
    this.findStatement = this.db.prepare(
      'SELECT answer FROM idempotency_keys WHERE clinic_id = ? AND key = ?',
    );
    this.saveStatement = this.db.prepare(
      'INSERT OR IGNORE INTO idempotency_keys (clinic_id, key, answer, recorded_at) VALUES (?, ?, ?, ?)',
    );
  }

  find(clinicId: string, key: string): CommandAnswer | undefined {
    const row = this.findStatement.get(clinicId, key);
    return row ? (JSON.parse(row.answer) as CommandAnswer) : undefined;
  }

  save(clinicId: string, key: string, answer: CommandAnswer): void {
    this.saveStatement.run(clinicId, key, JSON.stringify(answer), new Date().toISOString());
  }
}
