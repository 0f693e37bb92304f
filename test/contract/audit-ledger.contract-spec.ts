/** The ledger storage contract on SQLite: the read-model file, opened twice (projector and API). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqliteDatabase } from '@ipt/event-store';
import { ledgerReadSide, ledgerStorage, openReadModelDatabase } from '@ipt/projections';
import { auditLedgerContract } from './audit-ledger.contract';

let dir: string;
let dbs: SqliteDatabase[] = [];

auditLedgerContract('SQLite', {
  async open() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-ledger-'));
    dbs = [openReadModelDatabase(dir), openReadModelDatabase(dir)];
    return { builder: ledgerStorage(dbs[0]), reader: ledgerReadSide(dbs[1]) };
  },
  async close() {
    for (const db of dbs) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  },
});
