/**
 * Issue 10 on the EventStoreDB adapter (the real client over gRPC, against the
 * protocol test server): every `phi` the server stores is ciphertext, no key
 * is ever written to it, and an erasure reads back as erased.
 */
import { randomUUID } from 'node:crypto';
import { PhiVault, SqliteKeyStore, isSealedPhi, resolveKeyring } from '@ipt/privacy';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { phiCourse, type PhiCourse } from './privacy-scenario';

describe('privacy on EventStoreDB (protocol test server)', () => {
  const dataDir = tempDataDir('ipt-privacy-esdb-');
  const clinicId = `clinic-privacy-esdb-${randomUUID().slice(0, 8)}`;
  let server: EsdbTestServer;
  let app: LedgerApp | undefined;
  let clinician: LedgerClient;
  let courses: PhiCourse[];

  beforeAll(async () => {
    server = await startEsdbTestServer();
    app = await startLedgerApp({
      dataDir,
      env: { EVENTSTORE_CONNECTION_STRING: server.connectionString },
    });
    clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician']));
    courses = [await phiCourse(clinician, 'ESDB-KEPT'), await phiCourse(clinician, 'ESDB-ERASED')];
    const officer = clinician.as(tokenFor(clinicId, ['privacy_officer']));
    const erased = await officer.post(courses[1].course.path('/erasure'), {
      reason: 'retention_expired',
    });
    expect(erased.status).toBe(200);
    courses[1].course.revision = erased.body.revision;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await server?.stop();
  });

  it('stores only ciphertext for every phi, and no key', async () => {
    const stored = server.log.all.filter((e) => e.streamName.startsWith('course-'));
    const mine = new Set(courses.map((c) => `course-${c.course.courseId}`));
    const ours = stored.filter((e) => mine.has(e.streamName));
    expect(ours.length).toBe(23); // 11 events each, and the erasure
    const decoder = new TextDecoder();
    let sealed = 0;
    for (const event of ours) {
      const data = JSON.parse(decoder.decode(event.data)) as Record<string, unknown>;
      if ('phi' in data) {
        expect([event.type, isSealedPhi(data.phi)]).toEqual([event.type, true]);
        sealed += 1;
      }
    }
    expect(sealed).toBe(12);
    const everything = Buffer.concat(
      server.log.all.flatMap((e) => [Buffer.from(e.data), Buffer.from(e.customMetadata)]),
    );
    for (const secret of courses.flatMap((c) => c.phi))
      expect([secret, everything.includes(Buffer.from(secret))]).toEqual([secret, false]);
    // No stream but the courses' own (and the server's system streams) was written.
    expect(
      [...new Set(server.log.all.map((e) => e.streamName))].filter(
        (s) => !s.startsWith('course-') && !s.startsWith('$'),
      ),
    ).toEqual([]);
    // The live course's data key, in any of its likely encodings, is nowhere in the server.
    const vault = new PhiVault(
      SqliteKeyStore.inDataDir(dataDir, resolveKeyring(undefined, dataDir)),
    );
    try {
      const key = await vault.keys.get(courses[0].course.courseId);
      if (key.state !== 'live') throw new Error('the kept course has no live key');
      for (const encoding of ['base64', 'base64url', 'hex'] as const)
        expect(everything.includes(Buffer.from(key.key.toString(encoding)))).toBe(false);
      expect(everything.includes(key.key)).toBe(false);
    } finally {
      await vault.keys.close();
    }
  });

  it('reads the kept course opened and the erased one erased', async () => {
    const auditor = clinician.as(tokenFor(clinicId, ['auditor']));
    const kept = JSON.stringify((await auditor.get(courses[0].course.path('/history'))).body);
    for (const secret of courses[0].phi) expect(kept).toContain(secret);
    expect((await courses[0].course.view()).patientRef).toBe(courses[0].patientRef);
    const history = (await auditor.get(courses[1].course.path('/history'))).body.events as any[];
    for (const e of history.filter((x) => 'phi' in x.data))
      expect([e.data.phi, e.phiErased]).toEqual([null, true]);
    const view = await courses[1].course.view();
    expect([view.erased, view.patientRef]).toEqual([true, null]);
  });
});
