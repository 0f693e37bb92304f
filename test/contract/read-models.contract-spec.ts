/** The read-model contract on SQLite (the embedded mode's read-models.sqlite). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqliteDatabase } from '@ipt/event-store';
import {
  SqliteReadModelReader,
  createReadModelProjections,
  openReadModelDatabase,
  sqliteProjectionTarget,
} from '@ipt/projections';
import { readModelContract } from './read-models.contract';

let dir: string;
let db: SqliteDatabase;

readModelContract('SQLite', {
  async open() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-read-models-'));
    db = openReadModelDatabase(dir);
    return {
      targets: createReadModelProjections().map((p) => sqliteProjectionTarget(db, p)),
      reader: new SqliteReadModelReader(db),
    };
  },
  async close() {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  },
});
