/**
 * The shared database's own machinery on a real PostgreSQL: migrations run by
 * several processes at once are applied once; the advisory lease lets one
 * holder work while another waits, and hands over when the holder's
 * connection dies; an unreachable server is told from a bad query.
 */
import type { Pool } from 'pg';
import {
  AdvisoryLease,
  KEEPALIVE,
  MIGRATIONS,
  isDatabaseUnavailable,
  migrateDatabase,
  openPgPool,
  openSharedDatabase,
} from '@ipt/database';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/wait-for';

describe('the shared PostgreSQL database', () => {
  let database: TestDatabase;
  const pools: Pool[] = [];
  const leases: AdvisoryLease[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(leases.map((l) => l.release()));
    await Promise.all(pools.map((p) => p.end()));
    await database.drop();
  });

  it('applies each migration once when several processes start together, and none again', async () => {
    pools.push(...[1, 2, 3].map(() => openPgPool(database.url)));
    const applied = await Promise.all(pools.map((pool) => migrateDatabase(pool)));
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
    const { rows } = await pools[0].query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    await expect(migrateDatabase(pools[1])).resolves.toEqual([]);
    const tables = await pools[0].query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.rows.map((r) => r.table_name).sort()).toEqual(
      [
        'access_records',
        'audit_checkpoints',
        'audit_event_leaves',
        'audit_merkle_nodes',
        'audit_merkle_trees',
        'audit_signing_keys',
        'clinic_summary_courses',
        'course_completion',
        'course_outcomes',
        'data_keys',
        'erased_keys',
        'idempotency_keys',
        'key_fence',
        'projection_checkpoints',
        'projection_rebuilds',
        'schema_migrations',
      ].sort(),
    );
  });

  it('lets one process hold the lease while another waits, and hands over when the holder dies', async () => {
    const key = 990_001;
    const first = new AdvisoryLease(database.url, key, { applicationName: 'lease-first' });
    const second = new AdvisoryLease(database.url, key, { applicationName: 'lease-second' });
    leases.push(first, second);
    await expect(first.acquire()).resolves.toBe(true);
    const lost: Error[] = [];
    first.onLost((error) => lost.push(error));
    let secondActive = false;
    const waiting = second.acquire().then((got) => (secondActive = got));
    // The standby has asked (its connection is there) and was refused: the lock is the first's.
    const holders = async () =>
      (
        await pools[0].query<{ application_name: string }>(
          `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted`,
          [key],
        )
      ).rows.map((r) => r.application_name);
    await waitFor(
      async () =>
        (
          await pools[0].query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'lease-second'",
          )
        ).rowCount === 1,
      5000,
      () => 'the standby to ask for the lock',
    );
    expect(await holders()).toEqual(['lease-first']);
    expect(secondActive).toBe(false);
    // The holder's connection dies (as when its process is SIGKILLed): the server frees the lock.
    await pools[0].query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lease-first'",
    );
    await waiting;
    expect(secondActive).toBe(true);
    expect(await holders()).toEqual(['lease-second']);
    await waitFor(
      () => lost.length === 1,
      5000,
      () => 'the first holder to be told it lost the lease',
    );
    expect(first.active).toBe(false);
  });

  it("has the server probe the holder's connection, so a vanished holder's lock goes within seconds", async () => {
    const lease = new AdvisoryLease(database.url, 990_002, { applicationName: 'lease-probed' });
    leases.push(lease);
    await expect(lease.acquire()).resolves.toBe(true);
    // The lock's own connection, as the server sees it (the server applies these to TCP connections).
    const own = (lease as unknown as { client: import('pg').Client }).client;
    const setting = async (name: string) =>
      Number((await own.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name]);
    expect(await setting('tcp_keepalives_idle')).toBe(KEEPALIVE.idle);
    expect(await setting('tcp_keepalives_interval')).toBe(KEEPALIVE.interval);
    expect(await setting('tcp_keepalives_count')).toBe(KEEPALIVE.count);
  });

  it('tells an unreachable server from a bad query', async () => {
    const nobody = openPgPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    const refused = await nobody.query('SELECT 1').catch((e: unknown) => e);
    await nobody.end();
    expect(isDatabaseUnavailable(refused)).toBe(true);
    const pool = await openSharedDatabase(database.url);
    pools.push(pool);
    const bad = await pool.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(bad)).toBe(false);
  });
});
