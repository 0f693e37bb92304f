/**
 * What only the access log's SQLite file has: a reopen continues the chains
 * and the tree, and the file's mode. The port's contract (chains, tree,
 * queries, append-only) is test/contract/access-log.contract.ts, run on this adapter
 * by access-log.contract-spec.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyAccessChain } from '@ipt/audit';
import { AccessLogStore, asRecorded } from './access-log.store';
import { unsealedRecord as record } from './access-record.fixture';

describe('AccessLogStore', () => {
  let dir: string;
  let log: AccessLogStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-access-log-'));
    log = AccessLogStore.inDataDir(dir);
  });

  afterEach(async () => {
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('continues each chain and the tree after a reopen', async () => {
    const first = await log.append(record('clinic-a'));
    await log.close();
    log = AccessLogStore.inDataDir(dir);
    const second = await log.append(record('clinic-a'));
    expect(second.prevHash).toBe(first.hash);
    expect(second.leafIndex).toBe(1);
    expect(verifyAccessChain((await log.clinicRecords('clinic-a')).map(asRecorded))).toMatchObject({
      valid: true,
    });
  });

  it('keeps the file readable by its owner only', async () => {
    await log.append(record('clinic-a'));
    for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('access-log.sqlite'))) {
      expect((fs.statSync(path.join(dir, file)).mode & 0o777).toString(8)).toBe('600');
    }
  });
});
