/** The access-log contract on PostgreSQL: a fresh database, two pools (two API instances). */
import type { Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { PostgresAccessLog } from '../../apps/api/src/audit/access-log/access-log.postgres';
import { accessLogContract } from './access-log.contract';

let database: TestDatabase;
let pools: Pool[] = [];
let logs: PostgresAccessLog[] = [];

accessLogContract('PostgreSQL', {
  async open() {
    database = await createTestDatabase();
    pools = [await openSharedDatabase(database.url), await openSharedDatabase(database.url)];
    logs = pools.map((pool) => new PostgresAccessLog(pool));
    return { log: logs[0], other: logs[1] };
  },
  async tamper(statement) {
    await pools[0].query(statement);
  },
  async close() {
    await Promise.all(logs.map((log) => log.close()));
    await Promise.all(pools.map((p) => p.end()));
    await database.drop();
  },
});
