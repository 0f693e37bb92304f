/**
 * Issue 10 end to end on the embedded store: PHI encrypted per course,
 * erasure by destroying the key (privacy.md). The decisive test searches the
 * raw bytes of every file under the data folder for each erased plaintext.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PhiVault, SqliteKeyStore, resolveKeyring } from '@ipt/privacy';
import { openSqlite } from '@ipt/event-store';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { CourseDriver } from './course-scenario';
import { filesHolding, phiCourse, type PhiCourse } from './privacy-scenario';

const ROOT = path.resolve(__dirname, '../..');
const VERIFY = path.join(ROOT, 'dist/scripts/verify.js');
const KEYS = path.join(ROOT, 'dist/scripts/keys.js');

function run(file: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [file, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

/** The key store of a stopped data folder, as the service opens it. */
async function keyStateOf(dataDir: string, courseId: string): Promise<string> {
  const vault = new PhiVault(SqliteKeyStore.inDataDir(dataDir, resolveKeyring(undefined, dataDir)));
  try {
    return (await vault.keys.get(courseId)).state;
  } finally {
    await vault.keys.close();
  }
}

const erase = (officer: LedgerClient, course: CourseDriver, body: unknown = {}) =>
  officer.post(course.path('/erasure'), { reason: 'data_subject_request', ...(body as object) });

const withoutRevision = ({ revision: _r, ...rest }: Record<string, unknown>) => rest;

describe('privacy on the embedded store: encrypted PHI, erasure by key destruction', () => {
  const dataDir = tempDataDir('ipt-privacy-');
  const clinicId = `clinic-privacy-${randomUUID().slice(0, 8)}`;
  let app: LedgerApp;
  let clinician: LedgerClient;
  let auditor: LedgerClient;
  let officer: LedgerClient;
  let erased: PhiCourse[];
  let kept: PhiCourse;
  let outcomesBefore: Map<string, any>;
  let summaryBefore: any;
  let receipts: any[];

  beforeAll(async () => {
    app = await startLedgerApp({ dataDir, env: { LOG_LEVEL: 'info' } });
    clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician']));
    auditor = clinician.as(tokenFor(clinicId, ['auditor']));
    officer = clinician.as(tokenFor(clinicId, ['privacy_officer']));
    erased = [await phiCourse(clinician, 'ERASED-A'), await phiCourse(clinician, 'ERASED-B')];
    kept = await phiCourse(clinician, 'KEPT-C');
    outcomesBefore = new Map();
    for (const { course } of [...erased, kept])
      outcomesBefore.set(course.courseId, await course.view('/outcomes'));
    summaryBefore = (await clinician.get(`/v1/clinics/${clinicId}/summary`)).body;
    receipts = [];
    for (const { course } of erased) {
      const answer = await erase(officer, course, { reference: `DSR-${course.courseId}` });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('etag')).toBe(`"${answer.body.revision}"`);
      receipts.push(answer.body);
      course.revision = answer.body.revision;
    }
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('answers the receipt {courseId, revision, keyId, erasedAt}, one key per course', () => {
    for (const [i, { course }] of erased.entries()) {
      expect(receipts[i]).toEqual({
        courseId: course.courseId,
        revision: 11,
        keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        erasedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    }
    expect(receipts[0].keyId).not.toBe(receipts[1].keyId);
  });

  it('stores every phi sealed: the history shows it opened for a live course, null with phiErased once erased', async () => {
    const keptHistory = (await auditor.get(kept.course.path('/history'))).body.events as any[];
    const keptPhi = keptHistory.filter((e) => e.data.phi).map((e) => JSON.stringify(e.data.phi));
    for (const text of kept.phi) expect(keptPhi.join('\n')).toContain(text);
    expect(keptHistory.some((e) => 'phiErased' in e)).toBe(false);

    const history = (await auditor.get(erased[0].course.path('/history'))).body.events as any[];
    const withPhi = history.filter((e) => 'phi' in e.data);
    expect(withPhi.map((e) => e.type)).toEqual([
      'PatientEnrolled',
      'ProblemAreaSelected',
      'ProblemAreaSelected',
      'HomeworkAssigned',
      'RiskFlagResolved',
      'AssessmentCorrected',
    ]);
    for (const e of withPhi)
      expect([e.type, e.data.phi, e.phiErased]).toEqual([e.type, null, true]);
    const last = history[history.length - 1];
    expect(last.type).toBe('PersonalDataErased');
    expect(last.data).toEqual({
      courseId: erased[0].course.courseId,
      reason: 'data_subject_request',
      reference: `DSR-${erased[0].course.courseId}`,
      erasedAt: receipts[0].erasedAt,
    });
    // The idempotency digest is keyed: no plain SHA-256 of a body holding patientRef.
    for (const e of history) expect(e.metadata.requestDigest).toMatch(/^[0-9a-f]{64}$/);
    const text = JSON.stringify(history);
    for (const secret of erased[0].phi) expect(text).not.toContain(secret);
  });

  it('shows erased: true and patientRef null in the views; the outcome and clinic figures are unchanged', async () => {
    for (const { course } of erased) {
      const view = await course.view();
      expect([view.erased, view.patientRef]).toEqual([true, null]);
      const outcomes = await course.view('/outcomes');
      expect(withoutRevision(outcomes)).toEqual(
        withoutRevision(outcomesBefore.get(course.courseId)),
      );
    }
    const keptView = await kept.course.view();
    expect([keptView.erased, keptView.patientRef]).toEqual([false, kept.patientRef]);
    const list = (await clinician.get('/v1/courses?limit=500')).body.items as any[];
    for (const { course } of erased)
      expect(list.find((i) => i.courseId === course.courseId)).toMatchObject({
        erased: true,
        patientRef: null,
      });
    expect((await clinician.get(`/v1/clinics/${clinicId}/summary`)).body).toEqual(summaryBefore);
  });

  it('exports an erased course to FHIR without identifier or free text', async () => {
    const answer = await clinician.get(erased[1].course.path('/fhir'));
    expect(answer.status).toBe(200);
    const text = JSON.stringify(answer.body);
    for (const secret of erased[1].phi) expect(text).not.toContain(secret);
    const keptExport = JSON.stringify((await clinician.get(kept.course.path('/fhir'))).body);
    expect(keptExport).toContain(kept.patientRef);
  });

  it('answers 409 course_erased to every later command and to a second erasure, and keeps the chain valid', async () => {
    const { course } = erased[0];
    const attempts: [string, unknown][] = [
      [
        '/sessions',
        {
          sessionNumber: 3,
          heldAt: '2025-02-01T10:00:00Z',
          durationMinutes: 50,
          modality: 'video',
        },
      ],
      ['/problem-area', { area: 'grief', reason: 'another reason here' }],
      ['/completion', { completedAt: '2025-03-01T10:00:00Z' }],
      ['/withdrawal', { withdrawnAt: '2025-03-01T10:00:00Z', reason: 'moved' }],
    ];
    for (const [suffix, body] of attempts) {
      const answer = await course.attempt(suffix, body);
      expect([suffix, answer.status, answer.body.code]).toEqual([suffix, 409, 'course_erased']);
    }
    const again = await erase(officer, course);
    expect([again.status, again.body.code]).toEqual([409, 'course_erased']);

    const verification = await auditor.get(course.path('/verification'));
    expect(verification.status).toBe(200);
    expect(verification.body).toMatchObject({ valid: true, brokenAtRevision: null });
    expect(verification.body.events).toBe(12);
  });

  it('refuses bad input: unknown reason, a reference of the wrong length, another clinic (404), other roles (403)', async () => {
    const { course } = kept;
    const unknownReason = await officer.post(course.path('/erasure'), { reason: 'forget_me' });
    expect([unknownReason.status, unknownReason.body.code]).toEqual([400, 'validation_failed']);
    for (const reference of ['', '   ', 'x'.repeat(201), 12345]) {
      const answer = await erase(officer, course, { reference });
      expect([answer.status, answer.body.code]).toEqual([400, 'validation_failed']);
      expect(JSON.stringify(answer.body)).not.toContain('x'.repeat(50));
    }
    const noBody = await officer.post(course.path('/erasure'), {});
    expect(noBody.status).toBe(400);
    const unknownField = await erase(officer, course, { patientRef: kept.patientRef });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body)).not.toContain(kept.patientRef);

    const stranger = officer.as(tokenFor(`other-${clinicId}`, ['privacy_officer']));
    const foreign = await erase(stranger, course);
    const missing = await stranger.post(`/v1/courses/${randomUUID()}/erasure`, {
      reason: 'data_subject_request',
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    // A foreign erased course is just as missing: never 409.
    expect((await erase(stranger, erased[0].course)).body).toEqual(missing.body);

    for (const role of ['clinician', 'auditor', 'analyst', 'admin'] as const) {
      const answer = await erase(officer.as(tokenFor(clinicId, [role])), course);
      expect([role, answer.status, answer.body.code]).toEqual([role, 403, 'forbidden']);
    }
    // None of these changed the kept course.
    expect((await kept.course.view()).erased).toBe(false);
  });

  it('retries an erasure with its Idempotency-Key: the same receipt, no second event', async () => {
    const course = await CourseDriver.enroll(clinician);
    const key = `erase-${course.courseId}`;
    const first = await erase(officer, course, {});
    expect(first.status).toBe(200);
    const other = await CourseDriver.enroll(clinician);
    const keyed = await officer.post(
      other.path('/erasure'),
      { reason: 'legal_order' },
      { 'idempotency-key': key },
    );
    const retry = await officer.post(
      other.path('/erasure'),
      { reason: 'legal_order' },
      { 'idempotency-key': key },
    );
    expect(keyed.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(keyed.body);
    const history = (await auditor.get(other.path('/history'))).body.events;
    expect(history.filter((e: any) => e.type === 'PersonalDataErased')).toHaveLength(1);
  });

  it('DECISIVE: after stop, no file under the data folder holds a byte sequence of an erased plaintext', async () => {
    // Wait until every projection has applied the erasures (the views said so), then stop.
    for (const { course } of erased) expect((await course.view()).erased).toBe(true);
    await app.stop();
    // The service's log, written into the data folder, is searched as well.
    fs.writeFileSync(path.join(dataDir, 'service.log'), app.output());
    expect(fs.readdirSync(dataDir)).toEqual(
      expect.arrayContaining(['events.sqlite', 'read-models.sqlite', 'keys.sqlite', 'phi-kek']),
    );
    const hits: Record<string, string[]> = {};
    for (const secret of erased.flatMap((c) => c.phi)) {
      const files = filesHolding(dataDir, secret);
      if (files.length > 0) hits[secret] = files;
    }
    expect(hits).toEqual({});
    // A live course's PHI is at rest only where a view shows it: its patientRef in the read
    // models; its free texts nowhere (sealed in the event store).
    expect(filesHolding(dataDir, kept.patientRef)).toEqual(['read-models.sqlite']);
    for (const secret of kept.phi.filter((t) => t !== kept.patientRef))
      expect([secret, filesHolding(dataDir, secret)]).toEqual([secret, []]);

    // The chain and the ledger log still verify (npm run verify).
    const verify = run(VERIFY, [], { DATA_DIR: dataDir });
    expect({ status: verify.status, err: verify.err }).toEqual({
      status: 0,
      err: expect.any(String),
    });

    // Restarted: the kept course still shows its PHI, the erased ones still do not.
    app = await startLedgerApp({ dataDir });
    clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician']));
    auditor = clinician.as(tokenFor(clinicId, ['auditor']));
    expect((await clinician.get(kept.course.path())).body.patientRef).toBe(kept.patientRef);
    const keptHistory = JSON.stringify((await auditor.get(kept.course.path('/history'))).body);
    for (const secret of kept.phi) expect(keptHistory).toContain(secret);
    const erasedHistory = JSON.stringify(
      (await auditor.get(erased[0].course.path('/history'))).body,
    );
    for (const secret of erased[0].phi) expect(erasedHistory).not.toContain(secret);
  }, 60_000);
});

describe('erasure interrupted, restored key stores and KEK rotation', () => {
  let app: LedgerApp | undefined;
  const clinicId = `clinic-fence-${randomUUID().slice(0, 8)}`;
  const clients = (a: LedgerApp) => {
    const clinician = new LedgerClient(a.baseUrl, tokenFor(clinicId, ['clinician']));
    return {
      clinician,
      auditor: clinician.as(tokenFor(clinicId, ['auditor'])),
      officer: clinician.as(tokenFor(clinicId, ['privacy_officer'])),
    };
  };
  const phiErasedIn = async (auditor: LedgerClient, course: CourseDriver) => {
    const events = (await auditor.get(course.path('/history'))).body.events as any[];
    return events.filter((e) => 'phi' in e.data).every((e) => e.phiErased === true);
  };

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('a crash between the append and the key destruction is finished at the next start', async () => {
    const dataDir = tempDataDir('ipt-privacy-crash-');
    app = await startLedgerApp({
      dataDir,
      env: { IPT_TEST_CRASH_AT: 'erasure-before-key-destruction' },
    });
    const { clinician, officer } = clients(app);
    const victim = await phiCourse(clinician, 'CRASH');
    // The process kills itself after the append, before the key is destroyed: no answer.
    const crashed = await erase(officer, victim.course).then(
      (answer) => answer.status,
      () => 'no answer',
    );
    expect(crashed).toBe('no answer');
    await app.stop();
    expect(app.output()).toContain('crash point erasure-before-key-destruction');
    app = undefined;
    // The event is recorded, the key still alive: the half-done erasure.
    expect(await keyStateOf(dataDir, victim.course.courseId)).toBe('live');

    app = await startLedgerApp({ dataDir });
    const after = clients(app);
    expect(await keyStateOf(dataDir, victim.course.courseId)).toBe('erased');
    expect(await phiErasedIn(after.auditor, victim.course)).toBe(true);
    await waitFor(
      async () => (await after.clinician.get(victim.course.path())).body.erased === true,
      20_000,
    );
    expect((await after.clinician.get(victim.course.path())).body.patientRef).toBeNull();
    const again = await erase(after.officer, victim.course);
    expect([again.status, again.body.code]).toEqual([409, 'course_erased']);
  }, 90_000);

  it('a restored copy of an old key store cannot bring an erased key back, after a restart or a replay', async () => {
    const dataDir = tempDataDir('ipt-privacy-restore-');
    app = await startLedgerApp({ dataDir });
    let { clinician, officer, auditor } = clients(app);
    const victim = await phiCourse(clinician, 'RESTORED');
    const bystander = await phiCourse(clinician, 'BYSTANDER');
    await app.stop();
    // The operator's backup of the key store, taken before the erasure.
    const backup = new Map(
      fs
        .readdirSync(dataDir)
        .filter((f) => f.startsWith('keys.sqlite'))
        .map((f) => [f, fs.readFileSync(path.join(dataDir, f))]),
    );
    app = await startLedgerApp({ dataDir });
    ({ clinician, officer, auditor } = clients(app));
    expect((await erase(officer, victim.course)).status).toBe(200);
    await app.stop();
    // Restore the old key store: it still holds the victim's key and no tombstone.
    for (const f of fs.readdirSync(dataDir).filter((f) => f.startsWith('keys.sqlite')))
      fs.rmSync(path.join(dataDir, f));
    for (const [f, bytes] of backup) fs.writeFileSync(path.join(dataDir, f), bytes);
    expect(await keyStateOf(dataDir, victim.course.courseId)).toBe('live');

    app = await startLedgerApp({ dataDir });
    ({ clinician, officer, auditor } = clients(app));
    expect(await keyStateOf(dataDir, victim.course.courseId)).toBe('erased');
    expect(await phiErasedIn(auditor, victim.course)).toBe(true);
    // A replay of the read models from the log does not resurrect the PHI either.
    const admin = clinician.as(tokenFor(clinicId, ['admin']));
    expect((await admin.post('/v1/admin/projections/course-completion/rebuild', {})).status).toBe(
      202,
    );
    await waitFor(async () => {
      const view = await clinician.get(bystander.course.path());
      return view.status === 200 && view.body.patientRef === bystander.patientRef;
    }, 20_000);
    const view = (await clinician.get(victim.course.path())).body;
    expect([view.erased, view.patientRef]).toEqual([true, null]);
    // The bystander kept its key and its PHI.
    expect(await phiErasedIn(auditor, bystander.course)).toBe(false);
  }, 90_000);

  it('a sealed course whose key is gone without a tombstone answers 500 key_missing, logged without PHI', async () => {
    const dataDir = tempDataDir('ipt-privacy-lost-');
    app = await startLedgerApp({ dataDir });
    let { auditor, clinician } = clients(app);
    const lost = await phiCourse(clinician, 'LOST');
    await app.stop();
    // Data loss: the key row is deleted behind the service's back, no tombstone.
    const db = openSqlite(path.join(dataDir, 'keys.sqlite'));
    db.prepare('DELETE FROM data_keys WHERE course_id = ?').run(lost.course.courseId);
    db.close();
    app = await startLedgerApp({ dataDir, env: { LOG_LEVEL: 'info' } });
    ({ auditor, clinician } = clients(app));
    const history = await auditor.get(lost.course.path('/history'));
    expect([history.status, history.body.code]).toEqual([500, 'key_missing']);
    // A command must not seal under a new key either.
    const command = await new CourseDriver(clinician, lost.course.courseId).attempt('/sessions', {
      sessionNumber: 3,
      heldAt: '2025-02-01T10:00:00Z',
      durationMinutes: 50,
      modality: 'video',
    });
    expect([command.status, command.body.code]).toEqual([500, 'key_missing']);
    await app.stop();
    const output = app.output();
    app = undefined;
    expect(output).toContain('course key missing from the key store');
    expect(output).toContain(lost.course.courseId);
    for (const secret of lost.phi) expect(output).not.toContain(secret);
    expect(await keyStateOf(dataDir, lost.course.courseId)).toBe('missing');
  }, 60_000);

  it('npm run keys -- rotate-kek keeps every course readable and leaves no key under the old KEK', async () => {
    const dataDir = tempDataDir('ipt-privacy-kek-');
    app = await startLedgerApp({ dataDir });
    let { clinician, auditor, officer } = clients(app);
    const courses = [await phiCourse(clinician, 'KEK-1'), await phiCourse(clinician, 'KEK-2')];
    const gone = await phiCourse(clinician, 'KEK-GONE');
    expect((await erase(officer, gone.course)).status).toBe(200);
    await app.stop();
    app = undefined;

    const oldKek = fs.readFileSync(path.join(dataDir, 'phi-kek'), 'utf8');
    const before = JSON.parse(run(KEYS, ['status'], { DATA_DIR: dataDir }).out);
    expect(Object.values(before.keysByKek)).toEqual([2]);
    const rotated = run(KEYS, ['rotate-kek'], { DATA_DIR: dataDir });
    expect(rotated.status).toBe(0);
    const result = JSON.parse(rotated.out);
    expect(result.rewrapped).toBe(2);
    expect(result.keysByKek).toEqual({ [result.kekId]: 2 });
    expect(result.kekId).not.toBe(before.kekId);
    expect(fs.readFileSync(path.join(dataDir, 'phi-kek'), 'utf8')).not.toBe(oldKek);
    expect(fs.existsSync(path.join(dataDir, 'phi-kek.next'))).toBe(false);
    expect(fs.statSync(path.join(dataDir, 'phi-kek')).mode & 0o777).toBe(0o600);
    // Nothing printed is key material.
    expect(rotated.out + rotated.err).not.toContain(oldKek.trim());

    app = await startLedgerApp({ dataDir });
    ({ clinician, auditor, officer } = clients(app));
    for (const c of courses) {
      const history = JSON.stringify((await auditor.get(c.course.path('/history'))).body);
      for (const secret of c.phi) expect(history).toContain(secret);
      expect((await clinician.get(c.course.path())).body.patientRef).toBe(c.patientRef);
    }
    expect(await phiErasedIn(auditor, gone.course)).toBe(true);
    // New courses are sealed under the new KEK.
    const fresh = await phiCourse(clinician, 'KEK-NEW');
    expect((await clinician.get(fresh.course.path())).body.patientRef).toBe(fresh.patientRef);
  }, 90_000);
});
