/**
 * The ledger storage contract on PostgreSQL: a fresh database per test, two
 * pools (the projector and an API instance); and what only PostgreSQL
 * enforces itself: stored checkpoints change in nothing but `published`.
 */
import type { Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import type { SqliteDatabase } from '@ipt/event-store';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ledgerReadSide, ledgerStorage, openReadModelDatabase } from '@ipt/projections';
import { AuditSigningKey, signCheckpoint } from '@ipt/audit';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { auditLedgerContract } from './audit-ledger.contract';

let database: TestDatabase;
let pools: Pool[] = [];
let dir: string;
let db: SqliteDatabase;

async function open() {
  database = await createTestDatabase();
  pools = [await openSharedDatabase(database.url), await openSharedDatabase(database.url)];
  // The read-model file is not used with a pool; the factories take it for the SQLite case.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-ledger-pg-'));
  db = openReadModelDatabase(dir);
  return { builder: ledgerStorage(db, pools[0]), reader: ledgerReadSide(db, pools[1]) };
}

async function close() {
  await Promise.all(pools.map((p) => p.end()));
  await database.drop();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

auditLedgerContract('PostgreSQL', { open, close });

describe('audit ledger storage: PostgreSQL refuses changes to what was signed', () => {
  afterAll(close);

  it('refuses UPDATE (but publishing) and DELETE of checkpoints, and changes of tree nodes', async () => {
    const { builder } = await open();
    const key = AuditSigningKey.generate();
    await builder.checkpoints.append(
      signCheckpoint(
        {
          origin: 'ledger.test',
          events: { size: 0, root: '0'.repeat(64) },
          access: { size: 0, root: '0'.repeat(64) },
          issuedAt: new Date().toISOString(),
        },
        key,
      ),
    );
    const refused = (statement: string) =>
      expect(pools[0].query(statement)).rejects.toThrow(/append-only/);
    await refused("UPDATE audit_checkpoints SET signed = '{}' WHERE seq = 1");
    await refused('UPDATE audit_checkpoints SET events_size = 7 WHERE seq = 1');
    await refused('DELETE FROM audit_checkpoints WHERE seq = 1');
    await refused('TRUNCATE audit_checkpoints');
    await builder.checkpoints.published(1);
    await refused('UPDATE audit_checkpoints SET published = false WHERE seq = 1');
    await expect(
      pools[0].query("UPDATE audit_merkle_trees SET size = 0 WHERE tree = 'access'"),
    ).resolves.toBeDefined(); // 0 → 0: not a shrink
    await pools[0].query(
      "INSERT INTO audit_merkle_nodes (tree, level, idx, hash) VALUES ('events', 0, 0, '\\x00')",
    );
    await refused("UPDATE audit_merkle_nodes SET hash = '\\x01' WHERE tree = 'events'");
  });
});
