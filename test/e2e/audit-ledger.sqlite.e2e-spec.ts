/**
 * The audit ledger end to end on the embedded store: the service chains and
 * checkpoints what it records; then, with the service stopped, the SQLite
 * file is edited the ways an operator could, and each edit is reported by
 * GET /verification, npm run verify and the offline verifier (ipt-verify),
 * at the right revision, against a checkpoint issued before the edit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sealEventMetadata } from '@ipt/audit';
import { openSqlite, type SqliteDatabase } from '@ipt/event-store';
import { verifyConsistencyProof, verifyInclusionProof, hashLeaf } from '@ipt/audit-verifier';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { CourseDriver } from './course-scenario';

const ROOT = path.resolve(__dirname, '../..');
const VERIFY = path.join(ROOT, 'dist/scripts/verify.js');
const IPT_VERIFY = path.join(ROOT, 'libs/audit-verifier/bin/ipt-verify.js');
const ENV = { CHECKPOINT_INTERVAL_MS: '50', AUDIT_ORIGIN: 'ledger.e2e' };
const clinicId = 'clinic-audit-e2e';

interface Signed {
  sequence: number;
  checkpoint: { origin: string; events: { size: number; root: string }; issuedAt: string };
  signature: string;
  keyId: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [file, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

describe('the audit ledger on the embedded SQLite store', () => {
  const dataDir = tempDataDir('ipt-audit-');
  let app: LedgerApp;
  let clinician: LedgerClient;
  let auditor: LedgerClient;
  let target: CourseDriver;
  let others: CourseDriver[];
  let totalEvents = 0;
  let kept: Signed;
  let keptBundle: any;
  let publicKeyFile: string;
  let keptFile: string;

  const latest = async (): Promise<Signed | undefined> => {
    const answer = await auditor.get('/v1/audit/checkpoints/latest');
    return answer.status === 200 ? answer.body : undefined;
  };
  const checkpointCovering = async (size: number): Promise<Signed> => {
    let found: Signed | undefined;
    await waitFor(
      async () => ((found = await latest()), (found?.checkpoint.events.size ?? 0) >= size),
      10000,
      () => `for a checkpoint of ${size} events (latest: ${JSON.stringify(found)})`,
    );
    return found!;
  };
  const history = async (course: CourseDriver) =>
    (await auditor.get(course.path('/history'))).body.events as any[];

  beforeAll(async () => {
    app = await startLedgerApp({ dataDir, env: ENV });
    clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician']));
    auditor = clinician.as(tokenFor(clinicId, ['auditor']));
    // A first checkpoint of size 1, then several more as the log grows (sizes not powers of two).
    target = await CourseDriver.enroll(clinician);
    await checkpointCovering(1);
    others = [await CourseDriver.enroll(clinician), await CourseDriver.enroll(clinician)];
    for (let n = 1; n <= 6; n++) {
      await target.holdSessions(n, n);
      if (n <= 3) await others[0].holdSessions(n, n);
      if (n % 2 === 0) await checkpointCovering(1 + 2 + n + Math.min(n, 3));
    }
    for (const course of [target, ...others]) totalEvents += (await history(course)).length;
    kept = await checkpointCovering(totalEvents);
    keptBundle = (await auditor.get(target.path('/audit-bundle'))).body;
    publicKeyFile = path.join(dataDir, 'kept-public-key.json');
    keptFile = path.join(dataDir, 'kept-checkpoint.json');
    fs.writeFileSync(
      publicKeyFile,
      JSON.stringify((await auditor.get('/v1/audit/public-key')).body),
    );
    const { sequence: _s, ...signed } = kept;
    fs.writeFileSync(keptFile, JSON.stringify(signed));
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  it('chains every event in its metadata: prevHash of revision 0 is 64 zeros, then the previous hash', async () => {
    const events = await history(target);
    expect(events.length).toBeGreaterThanOrEqual(7);
    expect(events[0].metadata.prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < events.length; i++) {
      expect(events[i].metadata.prevHash).toBe(events[i - 1].metadata.hash);
      expect(events[i].metadata.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('an untouched store verifies: GET /verification, npm run verify and ipt-verify', async () => {
    const answer = await auditor.get(target.path('/verification'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      courseId: target.courseId,
      valid: true,
      brokenAtRevision: null,
      included: true,
      checkpoint: { events: { size: kept.checkpoint.events.size } },
    });
    expect(answer.body.events).toBe((await history(target)).length);

    const bundleFile = path.join(dataDir, 'bundle-before.json');
    fs.writeFileSync(bundleFile, JSON.stringify(keptBundle));
    const offline = run(IPT_VERIFY, [bundleFile, '--public-key', publicKeyFile]);
    expect(offline.out).toMatch(/VALID/);
    expect(offline.status).toBe(0);
  });

  it('gives inclusion proofs of every event of a course that libs/audit-verifier accepts', () => {
    const { checkpoint, leaves, events } = keptBundle;
    expect(leaves).toHaveLength(events.length);
    for (const leaf of leaves) {
      const event = events.find((e: any) => e.revision === leaf.revision);
      const ok = verifyInclusionProof(
        hashLeaf(Buffer.from(event.metadata.hash, 'hex')),
        leaf.leafIndex,
        checkpoint.events.size,
        leaf.inclusionProof.map((h: string) => Buffer.from(h, 'hex')),
        Buffer.from(checkpoint.events.root, 'hex'),
      );
      expect({ revision: leaf.revision, ok }).toEqual({ revision: leaf.revision, ok: true });
    }
  });

  it('gives consistency proofs between any two stored checkpoints that libs/audit-verifier accepts', async () => {
    const all = (await auditor.get('/v1/audit/checkpoints?limit=1000')).body.items as Signed[];
    const sizes = [...new Set(all.map((c) => c.checkpoint.events.size))];
    expect(sizes).toContain(1);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    const rootOf = new Map(all.map((c) => [c.checkpoint.events.size, c.checkpoint.events.root]));
    for (const first of sizes) {
      for (const second of sizes.filter((s) => s >= first)) {
        const answer = await auditor.get(
          `/v1/audit/consistency?log=events&first=${first}&second=${second}`,
        );
        expect(answer.status).toBe(200);
        const ok = verifyConsistencyProof(
          first,
          second,
          Buffer.from(rootOf.get(first)!, 'hex'),
          Buffer.from(rootOf.get(second)!, 'hex'),
          answer.body.proof.map((h: string) => Buffer.from(h, 'hex')),
        );
        expect({ first, second, ok }).toEqual({ first, second, ok: true });
      }
    }
  });

  it('answers another clinic like a missing course, and checks roles and parameters', async () => {
    const stranger = new LedgerClient(app.baseUrl, tokenFor('clinic-elsewhere', ['auditor']));
    for (const suffix of ['/verification', '/audit-bundle']) {
      const answer = await stranger.get(target.path(suffix));
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('course_not_found');
    }
    expect((await clinician.get(target.path('/verification'))).status).toBe(403);
    const admin = clinician.as(tokenFor(clinicId, ['admin']));
    expect((await admin.get('/v1/audit/checkpoints/latest')).status).toBe(200);
    expect((await admin.get(target.path('/verification'))).status).toBe(403);
    const analyst = clinician.as(tokenFor(clinicId, ['analyst']));
    expect((await analyst.get('/v1/audit/public-key')).body).toMatchObject({
      keyId: kept.keyId,
      jwk: { kty: 'OKP', crv: 'Ed25519' },
    });
    expect((await clinician.as(undefined).get('/v1/audit/public-key')).status).toBe(401);
    for (const query of [
      'log=access&first=1&second=2',
      'log=events&first=2&second=1',
      'log=events&first=-1&second=2',
      `log=events&first=1&second=${Number.MAX_SAFE_INTEGER}`,
      'log=events&first=1',
    ]) {
      const answer = await auditor.get(`/v1/audit/consistency?${query}`);
      expect({ query, status: answer.status, code: answer.body.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
    }
    expect((await auditor.get(target.path('/audit-bundle?since=abc'))).status).toBe(400);
    expect((await auditor.get('/v1/audit/checkpoints?limit=0')).status).toBe(400);
  });

  it('passes npm run verify on the untouched store (exit 0, with a summary)', () => {
    const result = run(VERIFY, [], { DATA_DIR: dataDir });
    expect(result.out).toMatch(/result: VALID/);
    expect(result.out).toMatch(/streams checked: 3/);
    expect(result.status).toBe(0);
  });

  describe('with the service stopped, an edit of the SQLite file', () => {
    // Through the driver port, so the edits run on every supported Node.js (node:sqlite on 22 and 24).
    type Db = SqliteDatabase;
    const streamId = () => `course-${target.courseId}`;
    const rowsOf = (db: Db) =>
      db
        .prepare(
          'SELECT position, revision, data, metadata, event_id, type FROM events WHERE stream_id = ? ORDER BY revision',
        )
        .all(streamId()) as {
        position: number;
        revision: number;
        data: string;
        metadata: string;
        event_id: string;
        type: string;
      }[];

    /** Changes one character of the event's data that keeps it valid JSON. */
    const changeOneByte = (data: string) =>
      data.replace(
        /"durationMinutes":(\d)/,
        (_m, d) => `"durationMinutes":${(Number(d) + 1) % 10}`,
      );

    const cases: { name: string; revision: () => number; edit: (db: Db) => void }[] = [
      {
        name: 'one byte of an event changed',
        revision: () => 2,
        edit: (db) => {
          const row = rowsOf(db)[2];
          const data = changeOneByte(row.data);
          expect(data).not.toBe(row.data);
          db.prepare('UPDATE events SET data = ? WHERE position = ?').run(data, row.position);
        },
      },
      {
        name: 'an event deleted from the middle of the stream',
        revision: () => 3,
        edit: (db) => {
          db.prepare('DELETE FROM events WHERE stream_id = ? AND revision = 3').run(streamId());
        },
      },
      {
        name: 'two events swapped',
        revision: () => 2,
        edit: (db) => {
          const move = db.prepare(
            'UPDATE events SET revision = ? WHERE stream_id = ? AND revision = ?',
          );
          db.transaction(() => {
            move.run(-1, streamId(), 2);
            move.run(2, streamId(), 3);
            move.run(3, streamId(), -1);
          })();
        },
      },
      {
        name: 'the tail dropped',
        revision: () => rowsOf0.length - 2,
        edit: (db) => {
          db.prepare('DELETE FROM events WHERE stream_id = ? AND revision >= ?').run(
            streamId(),
            rowsOf0.length - 2,
          );
        },
      },
      {
        name: 'an event rewritten AND its stream re-chained',
        revision: () => 2,
        edit: (db) => {
          const rows = rowsOf(db);
          let prevHash = JSON.parse(rows[1].metadata).hash as string;
          for (const row of rows.slice(2)) {
            const data = JSON.parse(row.revision === 2 ? changeOneByte(row.data) : row.data);
            const metadata = sealEventMetadata(
              {
                streamId: streamId(),
                revision: row.revision,
                eventId: row.event_id,
                type: row.type,
                data,
                metadata: JSON.parse(row.metadata),
              },
              prevHash,
            );
            prevHash = metadata.hash as string;
            db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(
              JSON.stringify(data),
              JSON.stringify(metadata),
              row.position,
            );
          }
        },
      },
    ];
    let rowsOf0: unknown[] = [];

    beforeAll(async () => {
      await app.stop();
      const db = openSqlite(path.join(dataDir, 'events.sqlite'));
      rowsOf0 = rowsOf(db);
      db.close();
    });

    it.each(cases)(
      'is reported at the right revision: $name',
      async ({ revision, edit }) => {
        const copy = tempDataDir('ipt-audit-edit-');
        fs.cpSync(dataDir, copy, { recursive: true });
        const db = openSqlite(path.join(copy, 'events.sqlite'));
        edit(db);
        db.close();
        const broken = revision();

        const edited = await startLedgerApp({ dataDir: copy, env: ENV });
        try {
          const api = new LedgerClient(edited.baseUrl, tokenFor(clinicId, ['auditor']));
          const answer = await api.get(target.path('/verification'));
          expect(answer.body).toMatchObject({ valid: false, brokenAtRevision: broken });
          // Still checked against the checkpoint issued before the edit: nothing new was signed.
          expect(answer.body.checkpoint.events).toEqual(kept.checkpoint.events);

          const bundle = await api.get(
            target.path(`/audit-bundle?since=${kept.checkpoint.events.size}`),
          );
          expect(bundle.status).toBe(200);
          const after = path.join(copy, 'bundle-after.json');
          fs.writeFileSync(after, JSON.stringify(bundle.body));
          const offline = run(IPT_VERIFY, [
            after,
            '--public-key',
            publicKeyFile,
            '--previous',
            keptFile,
          ]);
          expect(offline.out).toMatch(new RegExp(`BROKEN.*revision ${broken}\\b`));
          expect(offline.status).toBe(1);
        } finally {
          await edited.stop();
        }

        const whole = run(VERIFY, [], { DATA_DIR: copy });
        expect(whole.out).toMatch(new RegExp(`BROKEN ${streamId()} at revision ${broken} `));
        expect(whole.out).toMatch(/result: BROKEN/);
        expect(whole.status).toBe(1);
        // The bundle fetched before the edit still proves what was recorded.
        const before = path.join(copy, 'bundle-before.json');
        fs.writeFileSync(before, JSON.stringify(keptBundle));
        expect(run(IPT_VERIFY, [before, '--public-key', publicKeyFile]).status).toBe(0);
      },
      60000,
    );
  });
});
