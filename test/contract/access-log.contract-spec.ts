/**
 * The access-log contract on SQLite: the embedded mode's `DATA_DIR/access-log.sqlite`,
 * written on the request thread (AccessLogStore) and by a worker thread (ThreadedAccessLog).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openSqlite } from '@ipt/event-store';
import type { AccessLog } from '../../apps/api/src/audit/access-log/access-log';
import {
  ACCESS_LOG_FILE,
  AccessLogStore,
} from '../../apps/api/src/audit/access-log/access-log.store';
import { ThreadedAccessLog } from '../../apps/api/src/audit/access-log/access-log.thread';
import { accessLogContract } from './access-log.contract';

function sqliteFixture(openLog: (dataDir: string) => AccessLog | Promise<AccessLog>) {
  let dir: string;
  let log: AccessLog;
  return {
    async open() {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-access-log-contract-'));
      log = await openLog(dir);
      return { log };
    },
    async tamper(statement: string) {
      const db = openSqlite(path.join(dir, ACCESS_LOG_FILE));
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
  };
}

accessLogContract(
  'SQLite',
  sqliteFixture((dir) => AccessLogStore.inDataDir(dir)),
);
accessLogContract(
  'SQLite on a worker thread',
  sqliteFixture((dir) => ThreadedAccessLog.inDataDir(dir)),
);
