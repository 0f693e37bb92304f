/**
 * What only the access log's thread has: a thread that dies refuses what it
 * had in flight and the next call starts another from the file, chains and
 * tree continuing; a file that cannot be opened fails the open. The port's
 * contract runs on this adapter in test/contract/access-log.contract-spec.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { verifyAccessChain } from '@ipt/audit';
import { openSqlite } from '@ipt/event-store';
import { AccessLogUnavailableError, asRecorded } from './access-log';
import { ACCESS_LOG_FILE } from './access-log.store';
import { ThreadedAccessLog } from './access-log.thread';
import { unsealedRecord as record } from './access-record.fixture';

/** The log's current thread (private): the test stops it as a crash would. */
const threadOf = (log: ThreadedAccessLog) => (log as unknown as { thread: Promise<Worker> }).thread;

describe('ThreadedAccessLog', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-access-log-thread-'));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a call in flight when its thread dies, then starts another that continues chain and tree', async () => {
    const warnings: string[] = [];
    const log = await ThreadedAccessLog.inDataDir(dir, (m) => warnings.push(m));
    try {
      const first = await log.append(record('clinic-a'));
      const worker = await threadOf(log);
      // The call is posted in this turn's microtasks, after the thread was told to stop: it is
      // never answered, and must be refused, not left waiting.
      const inFlight = log.head();
      const stopped = worker.terminate();
      await expect(inFlight).rejects.toBeInstanceOf(AccessLogUnavailableError);
      await stopped;
      expect(warnings).toEqual([
        "the access log's thread stopped (1); refused in flight: 1; the next call starts another",
      ]);

      const after = await log.append(record('clinic-a'));
      expect(await threadOf(log)).not.toBe(worker);
      const records = await log.clinicRecords('clinic-a');
      expect(records[0].hash).toBe(first.hash);
      expect(records[records.length - 1]).toEqual(after);
      expect(verifyAccessChain(records.map(asRecorded))).toMatchObject({ valid: true });
      expect((await log.head()).size).toBe(records.length);
    } finally {
      await log.close();
    }
  });

  it('fails to open a file whose records and tree disagree', async () => {
    const db = openSqlite(path.join(dir, ACCESS_LOG_FILE));
    db.exec(`CREATE TABLE access_records (leaf_index INTEGER PRIMARY KEY, record_id TEXT,
      at TEXT, actor_id TEXT, actor_role TEXT, clinic_id TEXT, method TEXT, route TEXT,
      course_id TEXT, status INTEGER, request_id TEXT, prev_hash TEXT, hash TEXT)`);
    db.exec(`INSERT INTO access_records (leaf_index, clinic_id) VALUES (0, 'clinic-a')`);
    db.close();
    await expect(ThreadedAccessLog.inDataDir(dir)).rejects.toThrow(
      'access log: 1 records but 0 leaves in the access tree',
    );
  });

  it('refuses calls once closed, and says nothing of the thread it stopped', async () => {
    const warnings: string[] = [];
    const log = await ThreadedAccessLog.inDataDir(dir, (m) => warnings.push(m));
    await log.append(record('clinic-a'));
    await log.close();
    await expect(log.append(record('clinic-a'))).rejects.toBeInstanceOf(AccessLogUnavailableError);
    await expect(log.head()).rejects.toBeInstanceOf(AccessLogUnavailableError);
    expect(warnings).toEqual([]);
  });
});
