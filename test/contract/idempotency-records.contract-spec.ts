/** The idempotency-records contract on SQLite (the embedded mode's read-model file). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqliteDatabase } from '@ipt/event-store';
import { openReadModelDatabase } from '@ipt/projections';
import { SqliteIdempotencyRecords } from '../../apps/api/src/courses/idempotency-records.sqlite';
import { idempotencyRecordsContract } from './idempotency-records.contract';

let dir: string;
let dbs: SqliteDatabase[] = [];

idempotencyRecordsContract('SQLite', {
  async open() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-idem-'));
    dbs = [openReadModelDatabase(dir), openReadModelDatabase(dir)];
    return {
      records: new SqliteIdempotencyRecords(dbs[0]),
      other: new SqliteIdempotencyRecords(dbs[1]),
    };
  },
  async close() {
    for (const db of dbs) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  },
});
