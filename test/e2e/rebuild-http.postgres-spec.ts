/**
 * The rebuild under concurrent commands over HTTP (rebuild-under-load.ts)
 * with the read models in PostgreSQL: the API holds the projector's advisory
 * lock and carries out the rebuild asked on its admin route; each app gets a
 * fresh database on the embedded test server. And `npm run projections` on
 * the shared database, from a machine without the read models' files.
 */
import { randomBytes } from 'node:crypto';
import { openSharedDatabase } from '@ipt/database';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { LedgerClient, startLedgerApp, tempDataDir, tokenFor } from '../support/ledger-app';
import { CourseDriver, session } from './course-scenario';
import { rebuildUnderLoadSuite } from './rebuild-under-load';
import { expectRebuildThroughCli, projectionsCli } from '../support/projections-cli';

// One KEK for the apps of this file: the course keys are in each app's database.
const PHI_KEK = randomBytes(32).toString('base64');

rebuildUnderLoadSuite('PostgreSQL', async () => {
  const database = await createTestDatabase('ipt_rebuild_http');
  return {
    env: { DATABASE_URL: database.url, PHI_KEK },
    drop: () => database.drop(),
    copyKeysFrom: (other) => copyKeyStore(other.env.DATABASE_URL, database.url),
  };
});

/** The key store's tables from one database into another (opening it migrates its schema). */
async function copyKeyStore(from: string, to: string): Promise<void> {
  const [source, target] = await Promise.all([openSharedDatabase(from), openSharedDatabase(to)]);
  try {
    for (const table of ['data_keys', 'erased_keys', 'key_fence']) {
      for (const row of (await source.query(`SELECT * FROM ${table}`)).rows as Record<
        string,
        unknown
      >[]) {
        const columns = Object.keys(row);
        await target.query(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
          columns.map((c) => row[c]),
        );
      }
    }
  } finally {
    await Promise.all([source.end(), target.end()]);
  }
}

describe('npm run projections with DATABASE_URL', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('ipt_rebuild_cli');
  });
  afterAll(() => database.drop());

  it('asks the lock holder for a rebuild through the shared database and follows it until switched over', async () => {
    const app = await startLedgerApp({ env: { DATABASE_URL: database.url, PHI_KEK } });
    try {
      const clinician = new LedgerClient(app.baseUrl, tokenFor('clinic-cli', ['clinician']));
      const course = await CourseDriver.enroll(clinician);
      await course.send('/sessions', session(1));
      expect(await course.view()).toMatchObject({ sessionsHeld: 1 });

      // Another machine: its own empty data folder, only the database in common.
      const cli = projectionsCli({ DATA_DIR: tempDataDir(), DATABASE_URL: database.url });
      expectRebuildThroughCli(cli);
      const listed = cli('list');
      expect(listed.status).toBe(0);
      expect(listed.stdout).toMatch(
        /^course-outcomes: checkpoint \d+, \d+ events; rebuild \d+ done/m,
      );
      expect(listed.stdout).toMatch(/^clinic-summary: checkpoint \d+, \d+ events; never rebuilt$/m);
      // The rebuilt copy answers, at the course's revision.
      expect((await clinician.get(course.path('/outcomes'))).status).toBe(200);
      expect(await course.view()).toMatchObject({ sessionsHeld: 1, revision: course.revision });
    } finally {
      await app.stop();
    }
  }, 60_000);
});
