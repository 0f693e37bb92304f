/**
 * The embedded mode without AUTH_JWT_SECRET (api.md, auth): the server
 * creates a random secret in its data folder on first start, keeps it across
 * restarts, and `npm run token` (dist/scripts/token.js) prints tokens for it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { CourseDriver } from './course-scenario';

const TOKEN_CLI = path.resolve(__dirname, '../../dist/scripts/token.js');

function cliToken(dataDir: string, ...args: string[]): string {
  return execFileSync(process.execPath, [TOKEN_CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    encoding: 'utf8',
  }).trim();
}

describe('the embedded secret and the token CLI', () => {
  const dataDir = tempDataDir();
  let app: LedgerApp | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('signs tokens the server accepts, before and after a restart; other secrets are refused', async () => {
    app = await startLedgerApp({ dataDir, env: { AUTH_JWT_SECRET: '' } });
    const secretFile = path.join(dataDir, 'jwt-secret');
    const secret = fs.readFileSync(secretFile, 'utf8');
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);

    const token = cliToken(
      dataDir,
      '--clinic',
      'clinic-cli',
      '--role',
      'clinician',
      '--role',
      'auditor',
    );
    const clinician = new LedgerClient(app.baseUrl, token);
    const course = await CourseDriver.enroll(clinician);
    expect((await clinician.get(course.path('/history'))).status).toBe(200);
    const foreign = clinician.as(tokenFor('clinic-cli', ['clinician'])); // signed with the tests' secret
    expect((await foreign.get(course.path('/history'))).status).toBe(401);

    await app.stop();
    app = await startLedgerApp({ dataDir, env: { AUTH_JWT_SECRET: '' } });
    expect(fs.readFileSync(secretFile, 'utf8')).toBe(secret);
    const afterRestart = new LedgerClient(app.baseUrl, token);
    expect((await afterRestart.get(course.path('/history'))).status).toBe(200);
  }, 60000);

  it('refuses to print a token without a clinic or with an unknown role', () => {
    for (const args of [
      ['--role', 'clinician'],
      ['--clinic', 'c', '--role', 'root'],
    ]) {
      const run = spawnSync(process.execPath, [TOKEN_CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/usage: npm run token/);
    }
  });
});
