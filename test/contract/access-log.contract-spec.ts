/** The access-log contract on SQLite: the embedded mode's `DATA_DIR/access-log.sqlite`. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openSqlite } from '@ipt/event-store';
import { AccessLogStore } from '../../apps/api/src/audit/access-log/access-log.store';
import { accessLogContract } from './access-log.contract';

let dir: string;
let log: AccessLogStore;

accessLogContract('SQLite', {
  async open() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-access-log-contract-'));
    log = AccessLogStore.inDataDir(dir);
    return { log };
  },
  async tamper(statement) {
    const db = openSqlite(log.filename);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
  },
  async close() {
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  },
});
