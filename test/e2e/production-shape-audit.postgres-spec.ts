/**
 * The audit state on the production shape: an EventStoreDB (the protocol test
 * server), PostgreSQL (DATABASE_URL), two stateless API instances
 * (RUN_PROJECTIONS=false, each with its own empty DATA_DIR) and the projector,
 * the only process that builds the events tree and signs. Courses are written
 * and read through both instances; then every audit route answers the same
 * from both, the bundles and proofs verify with the offline verifier's own
 * code, and the reads made on both instances are in ONE access log whose
 * per-clinic chain verifies and whose tree is the one the checkpoint signed.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Pool } from 'pg';
import {
  hashLeaf,
  readPublicKey,
  verifyBundle,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '@ipt/audit-verifier';
import { verifyAccessChain } from '@ipt/audit';
import { openSharedDatabase } from '@ipt/database';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import {
  LedgerClient,
  PROJECTOR_MAIN,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../libs/database/src/testing/test-database';
import { waitFor } from '../support/wait-for';
import { PostgresAccessLog } from '../../apps/api/src/audit/access-log/access-log.postgres';
import { asRecorded } from '../../apps/api/src/audit/access-log/access-log';
import { CourseDriver, session } from './course-scenario';

jest.setTimeout(120_000);

const VERIFY = path.join(__dirname, '../../dist/scripts/verify.js');

function runVerify(env: Record<string, string>) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [VERIFY], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const CLINIC = `clinic-audit-shape-${randomUUID().slice(0, 8)}`;

interface Signed {
  sequence: number;
  checkpoint: {
    events: { size: number; root: string };
    access: { size: number; root: string };
  };
  signature: string;
  keyId: string;
}

describe('the audit state on the production shape: two API instances, a projector, PostgreSQL', () => {
  let esdb: EsdbTestServer;
  let database: TestDatabase;
  let pool: Pool;
  let apis: LedgerApp[] = [];
  let projector: LedgerApp | undefined;
  let clinicians: LedgerClient[];
  let auditors: LedgerClient[];

  beforeAll(async () => {
    [esdb, database] = await Promise.all([startEsdbTestServer(), createTestDatabase()]);
    const shared = {
      EVENTSTORE_CONNECTION_STRING: esdb.connectionString,
      DATABASE_URL: database.url,
      PHI_KEK: randomBytes(32).toString('base64'),
    };
    apis = await Promise.all(
      [1, 2].map(() => startLedgerApp({ env: { ...shared, RUN_PROJECTIONS: 'false' } })),
    );
    projector = await startLedgerApp({
      env: { ...shared, LOG_LEVEL: 'info', CHECKPOINT_INTERVAL_MS: '100' },
      worker: { main: PROJECTOR_MAIN, readyText: 'waiting for the projector lock' },
    });
    clinicians = apis.map((api) => new LedgerClient(api.baseUrl, tokenFor(CLINIC, ['clinician'])));
    auditors = apis.map((api) => new LedgerClient(api.baseUrl, tokenFor(CLINIC, ['auditor'])));
    pool = await openSharedDatabase(database.url);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...apis, projector].map((p) => p?.stop()));
    await pool?.end();
    await esdb?.stop();
    await database?.drop();
  });

  /** The latest checkpoint, once one covers `events` events and `access` access records. */
  const checkpointCovering = async (events: number, access: number): Promise<Signed> => {
    let latest: Signed | undefined;
    await waitFor(
      async () => {
        const answer = await auditors[0].get('/v1/audit/checkpoints/latest');
        latest = answer.status === 200 ? answer.body : undefined;
        return (
          (latest?.checkpoint.events.size ?? 0) >= events &&
          (latest?.checkpoint.access.size ?? 0) >= access
        );
      },
      20_000,
      () =>
        `for a checkpoint of ${events} events and ${access} accesses: ${JSON.stringify(latest)}`,
    );
    return latest!;
  };

  it('answers every audit route the same from both instances, with proofs that verify and one access log', async () => {
    // Courses written alternately through both instances, and read through both.
    const courses: CourseDriver[] = [];
    for (let i = 0; i < 3; i++) {
      const course = await CourseDriver.enroll(clinicians[i % 2]);
      for (let n = 1; n <= 3; n++)
        await new CourseDriver(clinicians[(i + n) % 2], course.courseId).send(
          '/sessions',
          session(n),
        );
      courses.push(course);
    }
    const totalEvents = courses.length * 4;
    const first = await checkpointCovering(4, 1);
    const reads: string[] = [];
    for (const [i, course] of courses.entries())
      for (const k of [0, 1]) {
        const requestId = `shape-read-${i}-${k}`;
        const answer = await clinicians[k].get(course.path('/history'), {
          'x-correlation-id': requestId,
        });
        expect([answer.status, requestId]).toEqual([200, requestId]);
        reads.push(requestId);
      }
    // The reads' records are committed before their answers left: the next checkpoint has them.
    const accessRecords = (await pool.query('SELECT COUNT(*)::int AS n FROM access_records'))
      .rows[0].n as number;
    const latest = await checkpointCovering(totalEvents, accessRecords);

    // Checkpoints, the public key and consistency proofs: the same from both instances.
    // An answer that carries the latest checkpoint (a bundle) may meet a newer one signed between the
    // two reads: the auditors' own reads are access records the signer goes on covering. Such a pair
    // is read again (a checkpoint is signed at most once per interval), then compared whole.
    const fromBoth = async (route: string) => {
      for (let attempt = 1; ; attempt++) {
        const answers = await Promise.all(auditors.map((auditor) => auditor.get(route)));
        for (const answer of answers) expect([route, answer.status]).toEqual([route, 200]);
        const [a, b] = answers.map((answer) => answer.body);
        if (attempt < 5 && a.checkpoint?.issuedAt !== b.checkpoint?.issuedAt) continue;
        expect(b).toEqual(a);
        return a;
      }
    };
    const key = await fromBoth('/v1/audit/public-key');
    expect(key.keyId).toBe(latest.keyId);
    const signed = (await fromBoth(`/v1/audit/checkpoints?after=${latest.sequence - 1}`))
      .items[0] as Signed;
    expect(signed).toEqual(latest);
    const { size: m, root: firstRoot } = first.checkpoint.events;
    const { size: n, root: latestRoot } = latest.checkpoint.events;
    const consistency = await fromBoth(`/v1/audit/consistency?log=events&first=${m}&second=${n}`);
    expect(
      verifyConsistencyProof(
        m,
        n,
        Buffer.from(firstRoot, 'hex'),
        Buffer.from(latestRoot, 'hex'),
        consistency.proof.map((h: string) => Buffer.from(h, 'hex')),
      ),
    ).toBe(true);

    // Each course: verification and bundle the same from both; the offline verifier accepts it.
    for (const course of courses) {
      const verification = await fromBoth(course.path('/verification'));
      expect(verification).toMatchObject({ valid: true, included: true, events: 4 });
      const bundle = await fromBoth(course.path(`/audit-bundle?since=${m}`));
      expect(bundle.checkpoint.events.size).toBeGreaterThanOrEqual(n);
      const report = verifyBundle(bundle, {
        publicKey: readPublicKey(key.pem),
        previous: { checkpoint: first.checkpoint, signature: first.signature, keyId: first.keyId },
      });
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      expect(report.valid).toBe(true);
    }

    // ONE access log: the reads made on either instance, from either instance, newest first.
    const wholeLog = async (auditor: LedgerClient) => {
      const items: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await auditor.get(
          `/v1/audit-log?limit=50${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items;
    };
    const logs = await Promise.all(auditors.map(wholeLog));
    const signedPart = (items: any[]) =>
      items.filter((r) => r.leafIndex < latest.checkpoint.access.size);
    expect(signedPart(logs[1])).toEqual(signedPart(logs[0]));
    const records = [...logs[0]].reverse();
    for (const requestId of reads)
      expect(records.filter((r) => r.requestId === requestId)).toHaveLength(1);
    // The clinic's chain verifies over the records of both instances, oldest first.
    expect(verifyAccessChain(records.map(asRecorded))).toMatchObject({ valid: true });
    // Each record is the leaf at its index in the access tree the checkpoint signed.
    const access = new PostgresAccessLog(pool);
    const { size, root } = latest.checkpoint.access;
    for (const record of signedPart(records)) {
      const proof = (await access.inclusionProof(record.leafIndex, size)).map((h) =>
        Buffer.from(h, 'hex'),
      );
      expect(
        verifyInclusionProof(
          hashLeaf(Buffer.from(record.hash, 'hex')),
          record.leafIndex,
          size,
          proof,
          Buffer.from(root, 'hex'),
        ),
      ).toBe(true);
    }
    await access.close();

    // npm run verify against the shared state, from a folder with no key and no ledger of its own
    // (run asynchronously: the EventStoreDB test server answers from this process).
    const verify = await runVerify({
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      DATA_DIR: tempDataDir('ipt-verify-shape-'),
      DATABASE_URL: database.url,
      EVENTSTORE_CONNECTION_STRING: esdb.connectionString,
    });
    expect([verify.status, verify.stderr]).toEqual([0, '']);
    expect(verify.stdout).toContain('result: VALID');
    expect(verify.stdout).toContain(`streams checked: ${courses.length}`);
  });
});

describe('an API projecting in-process with DATABASE_URL (the projector lock held by the API)', () => {
  let database: TestDatabase;
  let api: LedgerApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startLedgerApp({
      env: {
        DATABASE_URL: database.url,
        PHI_KEK: randomBytes(32).toString('base64'),
        CHECKPOINT_INTERVAL_MS: '100',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await database?.drop();
  });

  it('builds the events tree and signs checkpoints in PostgreSQL, with the key it registered', async () => {
    const clinic = `clinic-audit-inproc-${randomUUID().slice(0, 8)}`;
    const clinician = new LedgerClient(api!.baseUrl, tokenFor(clinic, ['clinician']));
    const auditor = clinician.as(tokenFor(clinic, ['auditor']));
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    let latest: Signed | undefined;
    await waitFor(
      async () => {
        const answer = await auditor.get('/v1/audit/checkpoints/latest');
        latest = answer.status === 200 ? answer.body : undefined;
        return (
          (latest?.checkpoint.events.size ?? 0) >= 2 && (latest?.checkpoint.access.size ?? 0) >= 2
        );
      },
      20_000,
      () => `for a checkpoint of the course's 2 events: ${JSON.stringify(latest)}`,
    );
    const shared = await openSharedDatabase(database.url);
    try {
      const { rows } = await shared.query('SELECT events_size FROM audit_checkpoints');
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await shared.end();
    }
    const key = (await auditor.get('/v1/audit/public-key')).body;
    const bundle = (await auditor.get(course.path('/audit-bundle'))).body;
    expect(verifyBundle(bundle, { publicKey: readPublicKey(key.pem) }).valid).toBe(true);
  });
});
