/**
 * The data folder holds PHI and secrets (issue 8, item 9): the folder is
 * 0700 and every file in it 0600, the SQLite -wal and -shm files included,
 * whatever the umask; a folder left wider by an older version is narrowed
 * at start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LedgerClient, startLedgerApp, tempDataDir, type LedgerApp } from '../support/ledger-app';
import { CourseDriver } from '../e2e/course-scenario';
import { signToken } from '@ipt/auth';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('data files', () => {
  let app: LedgerApp | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('are 0600 in a 0700 folder: event log, read models, their -wal and -shm, the generated secret, the key store and the KEK', async () => {
    const dataDir = path.join(tempDataDir(), 'data');
    // No AUTH_JWT_SECRET: the server generates its secret in the data folder.
    app = await startLedgerApp({ dataDir, env: { AUTH_JWT_SECRET: '' } });
    const secret = fs.readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim();
    const clinician = new LedgerClient(
      app.baseUrl,
      signToken({ sub: 'c', clinicId: 'clinic-files', roles: ['clinician'] }, secret, 600),
    );
    const course = await CourseDriver.enroll(clinician);
    await course.view();

    const files = fs.readdirSync(dataDir);
    for (const name of [
      'events.sqlite',
      'events.sqlite-wal',
      'events.sqlite-shm',
      'read-models.sqlite',
      'read-models.sqlite-wal',
      'read-models.sqlite-shm',
      'jwt-secret',
      'keys.sqlite',
      'phi-kek',
    ]) {
      expect(files).toContain(name);
    }
    expect(mode(dataDir).toString(8)).toBe('700');
    for (const name of files)
      expect([name, mode(path.join(dataDir, name)).toString(8)]).toEqual([name, '600']);
  });

  it('narrows a folder and files an older version left readable to others', async () => {
    const dataDir = tempDataDir();
    app = await startLedgerApp({ dataDir });
    await app.stop();
    fs.chmodSync(dataDir, 0o755);
    for (const name of fs.readdirSync(dataDir)) fs.chmodSync(path.join(dataDir, name), 0o644);
    app = await startLedgerApp({ dataDir });
    expect(mode(dataDir).toString(8)).toBe('700');
    for (const name of fs.readdirSync(dataDir))
      expect([name, mode(path.join(dataDir, name)).toString(8)]).toEqual([name, '600']);
  });
});
