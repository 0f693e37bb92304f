/** The Merkle node store contract on SQLite: two connections to one file (two processes). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IncrementalMerkleTree, SqliteMerkleNodeStore, syncNodeReader } from '@ipt/audit';
import { openSqlite, type SqliteDatabase } from '@ipt/event-store';
import { merkleNodeStoreContract } from './merkle-node-store.contract';

let dir: string | undefined;
let dbs: SqliteDatabase[] = [];

merkleNodeStoreContract('SQLite', {
  async open(tree) {
    if (!dir) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-merkle-'));
      const file = path.join(dir, 'trees.sqlite');
      dbs = [openSqlite(file), openSqlite(file)];
      for (const db of dbs) {
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
      }
    }
    const stores = dbs.map((db) => new SqliteMerkleNodeStore(db, tree));
    return {
      async append(handle, leafData) {
        // A tree opened for each append: it starts from what the other handle stored.
        new IncrementalMerkleTree(stores[handle]).appendAll(leafData);
      },
      reader: (handle) => syncNodeReader(stores[handle]),
    };
  },
  async close() {
    for (const db of dbs) db.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  },
});
