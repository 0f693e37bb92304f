/**
 * GET /v1/courses/{courseId}/fhir on the built API over real HTTP: the
 * content type, the bundle of a course driven through the command routes
 * (figures by hand), identical ids on a second export, and who may read it.
 */
import { randomUUID } from 'node:crypto';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, day, homework } from './course-scenario';

describe('FHIR export route over HTTP', () => {
  let app: LedgerApp;
  let clinicId: string;
  let clinician: LedgerClient;
  let course: CourseDriver;
  let patientRef: string;

  beforeAll(async () => {
    app = await startLedgerApp();
    clinicId = `clinic-${randomUUID().slice(0, 8)}`;
    clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician']));
    patientRef = `MRN-${randomUUID().slice(0, 8)}`;
    course = await CourseDriver.enroll(clinician, { patientRef });
    // PHQ-9 = 19 with item 9 = 1: a risk flag; then corrected to 17.
    const baseline = assessment('PHQ-9', [3, 3, 2, 2, 2, 2, 2, 2, 1], { timepoint: 'baseline' });
    await course.send('/assessments', baseline);
    await course.holdSessions(1, 2);
    await course.send('/missed-sessions', { scheduledAt: day(10, 15), kind: 'did_not_attend' });
    await course.send('/homework', homework('hw-1'));
    await course.send(`/assessments/${baseline.assessmentId}/correction`, {
      items: [1, 3, 2, 2, 2, 2, 2, 2, 1],
      reason: 'Item 1 was copied wrongly',
    });
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  const fhirPath = () => course.path('/fhir');
  const resources = (bundle: any, type: string): any[] =>
    bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === type);

  it('answers a FHIR R4 collection Bundle as application/fhir+json', async () => {
    const answer = await clinician.get(fhirPath());
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const bundle = answer.body;
    expect([bundle.resourceType, bundle.type]).toEqual(['Bundle', 'collection']);
    expect(resources(bundle, 'Patient')[0].identifier).toEqual([
      { system: `urn:ipt:clinic:${clinicId}:patient`, value: patientRef },
    ]);
    expect(resources(bundle, 'Encounter')).toHaveLength(2);
    expect(resources(bundle, 'Appointment').map((a) => a.status)).toEqual(['noshow']);
    const [phq] = resources(bundle, 'Observation');
    expect([phq.code.coding[0].code, phq.valueInteger, phq.status]).toEqual([
      '44261-6',
      17,
      'amended',
    ]);
    expect(resources(bundle, 'Flag').map((f) => f.status)).toEqual(['active']);
    expect(resources(bundle, 'EpisodeOfCare')[0].status).toBe('active');
  });

  it('gives the same resource ids to the auditor on a second export', async () => {
    const first = await clinician.get(fhirPath());
    const second = await clinician.as(tokenFor(clinicId, ['auditor'])).get(fhirPath());
    expect(second.status).toBe(200);
    const ids = (b: any) => b.entry.map((e: any) => e.resource.id);
    expect(ids(second.body)).toEqual(ids(first.body));
  });

  it('answers 404 course_not_found for another clinic and for an unknown course', async () => {
    const other = clinician.as(tokenFor('clinic-elsewhere', ['clinician']));
    for (const answer of [
      await other.get(fhirPath()),
      await clinician.get(`/v1/courses/${randomUUID()}/fhir`),
    ]) {
      expect([answer.status, answer.body.code]).toEqual([404, 'course_not_found']);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(answer.body)).not.toContain(patientRef);
    }
  });

  it('answers 403 to an analyst, 401 without a token, 400 for a malformed or hostile id', async () => {
    const analyst = await clinician.as(tokenFor(clinicId, ['analyst'])).get(fhirPath());
    expect([analyst.status, analyst.body.code]).toEqual([403, 'forbidden']);
    expect((await clinician.as(undefined).get(fhirPath())).status).toBe(401);
    const malformed = await clinician.get('/v1/courses/not-a-uuid/fhir');
    expect([malformed.status, malformed.body.code]).toEqual([400, 'validation_failed']);
    const nul = await clinician.get('/v1/courses/%00/fhir');
    expect([nul.status, nul.body.code]).toEqual([400, 'validation_failed']);
    // Fastify refuses an over-long path parameter itself (414), before any route runs.
    const long = await clinician.get(`/v1/courses/${'a'.repeat(3000)}/fhir`);
    expect(long.status).toBe(414);
  });

  it('is documented in OpenAPI with its media type', async () => {
    const openapi = await clinician.as(undefined).get('/docs-json');
    const route = openapi.body.paths['/v1/courses/{courseId}/fhir'];
    expect(Object.keys(route.get.responses['200'].content)).toEqual(['application/fhir+json']);
    expect(route.get.tags).toEqual(['exports']);
  });
});
