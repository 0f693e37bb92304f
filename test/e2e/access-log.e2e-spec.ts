/**
 * The access log over real HTTP on the built API (audit.md §3): reads,
 * refusals and exports recorded with their route template and status in the
 * caller's clinic only; a probe of another clinic's course recorded as a miss;
 * no route changes a record; records durable across SIGKILL; chains and the
 * access tree checked on the file after the run.
 */
import { randomUUID } from 'node:crypto';
import { hashLeaf, verifyInclusionProof } from '@ipt/audit-verifier';
import { verifyAccessChain } from '@ipt/audit';
import { openSqlite } from '@ipt/event-store';
import { AccessLogStore, asRecorded } from '../../apps/api/src/audit/access-log/access-log.store';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, day } from './course-scenario';

describe('access log over HTTP', () => {
  let app: LedgerApp;
  let clinicA: string;
  let clinicB: string;
  let clinicianA: LedgerClient;
  let auditorA: LedgerClient;
  let clinicianB: LedgerClient;
  let auditorB: LedgerClient;
  let course: CourseDriver;

  beforeAll(async () => {
    app = await startLedgerApp();
    clinicA = `clinic-${randomUUID().slice(0, 8)}`;
    clinicB = `clinic-${randomUUID().slice(0, 8)}`;
    clinicianA = new LedgerClient(app.baseUrl, tokenFor(clinicA, ['clinician']));
    auditorA = clinicianA.as(tokenFor(clinicA, ['auditor']));
    clinicianB = clinicianA.as(tokenFor(clinicB, ['clinician']));
    auditorB = clinicianA.as(tokenFor(clinicB, ['auditor']));
    course = await CourseDriver.enroll(clinicianA);
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  /** Every record of the caller's clinic, following nextCursor page by page. */
  async function wholeLog(client: LedgerClient, filter = ''): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=7${filter}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await client.get(`/v1/audit-log${query}`);
      expect(page.status).toBe(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  it('records a clinician’s read and a refused command in that clinic’s log', async () => {
    const read = await clinicianA.get(course.path(), { 'x-correlation-id': 'read-1' });
    expect(read.status).toBe(200);
    const refused = await course.attempt(
      '/assessments',
      assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 0], {
        timepoint: 'follow_up',
        administeredAt: day(3),
      }),
      { 'x-correlation-id': 'refused-1' },
    );
    expect(refused.status).toBe(409);
    const forbidden = await auditorA.post(course.path('/completion'), { completedAt: day(80) });
    expect(forbidden.status).toBe(403);

    const unsupported = await clinicianA.request('POST', course.path('/sessions'), 'text', {
      'content-type': 'text/plain',
      'x-correlation-id': 'refused-415',
    });
    expect(unsupported.status).toBe(415);

    const log = await wholeLog(auditorA, `&courseId=${course.courseId}`);
    const byRequest = (id: string) => log.find((r) => r.requestId === id);
    expect(byRequest('read-1')).toMatchObject({
      clinicId: clinicA,
      actor: { id: `clinician@${clinicA}`, role: 'clinician' },
      method: 'GET',
      route: '/v1/courses/{courseId}',
      courseId: course.courseId,
      status: 200,
    });
    expect(byRequest('refused-1')).toMatchObject({
      method: 'POST',
      route: '/v1/courses/{courseId}/assessments',
      status: 409,
    });
    expect(byRequest('refused-415')).toMatchObject({
      actor: { id: `clinician@${clinicA}`, role: 'clinician' },
      route: '/v1/courses/{courseId}/sessions',
      status: 415,
    });
    expect(log).toContainEqual(
      expect.objectContaining({
        actor: { id: `auditor@${clinicA}`, role: 'auditor' },
        route: '/v1/courses/{courseId}/completion',
        status: 403,
      }),
    );
    // The enrollment names its course from the body.
    expect(log).toContainEqual(
      expect.objectContaining({ method: 'POST', route: '/v1/courses', status: 201 }),
    );
    // Newest first, each with its leaf; no PHI field, no raw URL.
    const leaves = log.map((r) => r.leafIndex);
    expect(leaves).toEqual([...leaves].sort((a, b) => b - a));
    expect(JSON.stringify(log)).not.toContain(course.courseId + '/');
    // Record ids are time-ordered UUID v7, as event ids are (decision 147).
    for (const r of log) expect(r.recordId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
  });

  it('records the FHIR export as a disclosure, and reads of the log itself', async () => {
    const fhir = await clinicianA.get(course.path('/fhir'), { 'x-correlation-id': 'fhir-1' });
    expect(fhir.status).toBe(200);
    await auditorA.get('/v1/audit-log?limit=1', { 'x-correlation-id': 'log-read-1' });
    const log = await wholeLog(auditorA);
    expect(log.find((r) => r.requestId === 'fhir-1')).toMatchObject({
      method: 'GET',
      route: '/v1/courses/{courseId}/fhir',
      courseId: course.courseId,
      status: 200,
    });
    expect(log.find((r) => r.requestId === 'log-read-1')).toMatchObject({
      route: '/v1/audit-log',
      courseId: null,
      status: 200,
    });
  });

  it('records a probe of another clinic’s course in the prober’s log as a 404, never in the owner’s', async () => {
    const probe = await clinicianB.get(course.path('/history'), { 'x-correlation-id': 'probe-1' });
    expect(probe.status).toBe(404);
    const logB = await wholeLog(auditorB);
    expect(logB.find((r) => r.requestId === 'probe-1')).toMatchObject({
      clinicId: clinicB,
      actor: { id: `clinician@${clinicB}`, role: 'clinician' },
      route: '/v1/courses/{courseId}/history',
      courseId: course.courseId,
      status: 404,
    });
    const logA = await wholeLog(auditorA);
    expect(logA.some((r) => r.requestId === 'probe-1')).toBe(false);
    // Clinic B's auditor sees only clinic B's records: none of clinic A's reads or refusals.
    expect(logB.every((r) => r.clinicId === clinicB)).toBe(true);
    expect(logB.some((r) => ['read-1', 'refused-1', 'fhir-1'].includes(r.requestId))).toBe(false);
  });

  it('is documented in the OpenAPI document with its filters', async () => {
    const doc = await clinicianA.get('/docs-json');
    const route = doc.body.paths['/v1/audit-log'].get;
    const query = route.parameters.filter((p: any) => p.in === 'query');
    expect(query.map((p: any) => p.name).sort()).toEqual(
      ['actor', 'courseId', 'cursor', 'from', 'limit', 'to'].sort(),
    );
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(['200', '400', '403']));
  });

  it('lets only auditors read it, and refuses malformed filters with problem details', async () => {
    const clinician = await clinicianA.get('/v1/audit-log');
    expect([clinician.status, clinician.body.code]).toEqual([403, 'forbidden']);
    const bad = await auditorA.get(
      '/v1/audit-log?courseId=MRN-123&limit=0&from=yesterday&cursor=x',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual([
      'courseId',
      'cursor',
      'from',
      'limit',
    ]);
    expect(JSON.stringify(bad.body)).not.toContain('MRN-123');
    // The malformed courseId is not kept either.
    const log = await wholeLog(auditorA);
    expect(JSON.stringify(log)).not.toContain('MRN-123');
    const refusedRead = log.find((r) => r.route === '/v1/audit-log' && r.status === 403);
    expect(refusedRead).toMatchObject({ actor: { role: 'clinician' } });
  });

  it('has no route that changes or deletes a record', async () => {
    const before = await wholeLog(auditorA);
    const target = before[before.length - 1];
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      for (const route of ['/v1/audit-log', `/v1/audit-log/${target.recordId}`]) {
        const answer = await auditorA.request(method, route, method === 'DELETE' ? undefined : {});
        expect({ method, route, status: [404, 405].includes(answer.status) }).toEqual({
          method,
          route,
          status: true,
        });
      }
    }
    const after = await wholeLog(auditorA);
    const stillThere = after.find((r) => r.recordId === target.recordId);
    expect(stillThere).toEqual(target);
  });

  it('keeps the record of an answer given right before a SIGKILL', async () => {
    const read = await clinicianA.get(course.path('/outcomes'), { 'x-correlation-id': 'last-1' });
    expect(read.status).toBe(200);
    await app.stop('SIGKILL');
    app = await startLedgerApp({ dataDir: app.dataDir });
    const log = await wholeLog(new LedgerClient(app.baseUrl, tokenFor(clinicA, ['auditor'])));
    expect(log.find((r) => r.requestId === 'last-1')).toMatchObject({
      route: '/v1/courses/{courseId}/outcomes',
      status: 200,
    });
  }, 60000);

  it('leaves chains that verify and leaves that match the access tree, and refuses UPDATE on the file', async () => {
    await app.stop();
    const store = AccessLogStore.inDataDir(app.dataDir);
    try {
      const { size, root } = await store.head();
      expect(size).toBeGreaterThan(10);
      for (const clinicId of [clinicA, clinicB]) {
        const records = await store.clinicRecords(clinicId);
        expect(records.length).toBeGreaterThan(0);
        expect(verifyAccessChain(records.map(asRecorded))).toMatchObject({ valid: true });
        for (const r of records) {
          const proof = (await store.inclusionProof(r.leafIndex, size)).map((h) =>
            Buffer.from(h, 'hex'),
          );
          const leaf = hashLeaf(Buffer.from(r.hash, 'hex'));
          expect(
            verifyInclusionProof(leaf, r.leafIndex, size, proof, Buffer.from(root, 'hex')),
          ).toBe(true);
        }
      }
      const db = openSqlite(store.filename);
      try {
        expect(() => db.exec('UPDATE access_records SET status = 200')).toThrow(/append-only/);
        expect(() => db.exec('DELETE FROM access_records WHERE leaf_index = 0')).toThrow(
          /append-only/,
        );
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });
});
