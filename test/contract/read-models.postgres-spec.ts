/**
 * The read-model contract on PostgreSQL (a fresh database per suite), plus
 * what only a shared database needs: a second projector that lost the lock
 * cannot apply a batch twice (its commit is fenced by the checkpoint), and
 * the migrated tables have every column the folds write.
 */
import type { Pool } from 'pg';
import { openSharedDatabase } from '@ipt/database';
import {
  COURSE_COMPLETION,
  PostgresReadModelReader,
  ProjectionFencedError,
  createPostgresReadModelTargets,
  readModelSpecs,
} from '@ipt/projections';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { NOW, courseIdOf, recorded } from '../../libs/projections/src/testing/generated-clinic';
import { copyRows } from '../../libs/projections/src/postgres/copy-rows';
import { readModelContract } from './read-models.contract';

let database: TestDatabase;
let pool: Pool;

readModelContract('PostgreSQL', {
  async open() {
    database = await createTestDatabase();
    pool = await openSharedDatabase(database.url);
    return {
      targets: createPostgresReadModelTargets(pool),
      reader: new PostgresReadModelReader(pool),
    };
  },
  async close() {
    await pool.end();
    await database.drop();
  },
});

describe('read models on PostgreSQL shared by several processes', () => {
  let db: TestDatabase;
  let pools: Pool[];

  beforeAll(async () => {
    db = await createTestDatabase();
    pools = [await openSharedDatabase(db.url), await openSharedDatabase(db.url)];
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  });

  it('the migrated tables hold every column the folds write', async () => {
    for (const spec of readModelSpecs()) {
      const { rows } = await pools[0].query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_name = $1',
        [spec.table],
      );
      const columns = rows.map((r) => r.column_name);
      for (const c of ['course_id', 'clinic_id', 'revision', 'state', ...Object.keys(spec.columns)])
        expect(columns).toContain(c);
    }
  });

  it('a projector whose checkpoint another one moved is fenced, and catches up from the checkpoint', async () => {
    const completion = (pool: Pool) =>
      createPostgresReadModelTargets(pool).find((t) => t.name === COURSE_COMPLETION)!;
    const active = completion(pools[0]);
    const stale = completion(pools[1]);
    const [first, second] = [recorded(0), recorded(1)];
    // Both read the same (empty) checkpoint; the first commits, the second was too late.
    await expect(active.checkpoint()).resolves.toBeUndefined();
    await expect(stale.checkpoint()).resolves.toBeUndefined();
    await active.commit(first, first[first.length - 1].position);
    await expect(stale.commit(first, first[first.length - 1].position)).rejects.toBeInstanceOf(
      ProjectionFencedError,
    );
    stale.discardUncommitted?.();
    // The runner reads the checkpoint again before it resubscribes: then it goes on from there.
    await expect(stale.checkpoint()).resolves.toBe(first[first.length - 1].position);
    await stale.commit(second, second[second.length - 1].position);
    const reader = new PostgresReadModelReader(pools[0]);
    const row = await reader.courseRow('clinic-1', courseIdOf(0), NOW);
    expect(row?.revision).toBe(first.length - 1);
    expect((await reader.courseRow('clinic-1', courseIdOf(1), NOW))?.revision).toBe(
      second.length - 1,
    );
    // The fenced commit changed nothing: one row per course, the checkpoint at the last commit.
    const { rows } = await pools[0].query('SELECT course_id FROM course_completion');
    expect(rows).toHaveLength(2);
  });

  it("writes by COPY what its text format gives a meaning to, as it was (a fold state's JSON)", async () => {
    const texts = [
      'tab\there',
      'line\nbreak\r\nand back',
      'back\\slash \\N \\t',
      JSON.stringify({ note: 'a "quoted"\ttab\nline\\ and \\N' }),
      '\\N',
      '',
      'plain ünïcødé',
    ];
    const client = await pools[0].connect();
    try {
      await client.query('CREATE TEMP TABLE copied (n INTEGER, text TEXT, missing TEXT)');
      await copyRows(
        client,
        'copied',
        ['n', 'text', 'missing'],
        texts.map((text, n) => [n, text, null]),
      );
      const { rows } = await client.query('SELECT n, text, missing FROM copied ORDER BY n');
      expect(rows).toEqual(texts.map((text, n) => ({ n, text, missing: null })));
    } finally {
      client.release();
    }
  });
});
