/** The idempotency-records contract on PostgreSQL: a fresh database, two pools (two API instances). */
import type { Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { PostgresIdempotencyRecords } from '../../apps/api/src/courses/idempotency-records.postgres';
import { idempotencyRecordsContract } from './idempotency-records.contract';

let database: TestDatabase;
let pools: Pool[] = [];

idempotencyRecordsContract('PostgreSQL', {
  async open() {
    database = await createTestDatabase();
    pools = [await openSharedDatabase(database.url), await openSharedDatabase(database.url)];
    return {
      records: new PostgresIdempotencyRecords(pools[0]),
      other: new PostgresIdempotencyRecords(pools[1]),
    };
  },
  async close() {
    await Promise.all(pools.map((p) => p.end()));
    await database.drop();
  },
});
