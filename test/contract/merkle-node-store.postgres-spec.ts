/** The Merkle node store contract on PostgreSQL: a fresh database, two pools (two processes). */
import type { Pool } from 'pg';
import { PostgresMerkleNodeStore } from '@ipt/audit';
import { inTransaction, openSharedDatabase } from '@ipt/database';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { merkleNodeStoreContract } from './merkle-node-store.contract';

let database: TestDatabase | undefined;
let pools: Pool[] = [];

merkleNodeStoreContract('PostgreSQL', {
  async open(tree) {
    if (!database) {
      database = await createTestDatabase();
      pools = [await openSharedDatabase(database.url), await openSharedDatabase(database.url)];
    }
    const stores = pools.map((pool) => new PostgresMerkleNodeStore(pool, tree));
    return {
      async append(handle, leafData) {
        await inTransaction(pools[handle], (client) => stores[handle].append(client, leafData));
      },
      reader: (handle) => stores[handle],
    };
  },
  async close() {
    await Promise.all(pools.map((p) => p.end()));
    await database?.drop();
  },
});
