/**
 * Health data stays out of logs: with the most verbose logging, a course
 * full of identifying values (and requests that fail on them) leaves none of
 * those values in the process output.
 */
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { CourseDriver, assessment, day, session } from './course-scenario';

describe('logs', () => {
  let app: LedgerApp;

  beforeAll(async () => {
    app = await startLedgerApp({ env: { LOG_LEVEL: 'trace' } });
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  it('never carry patientRef, free text or clinic-chosen homework ids', async () => {
    const clinician = new LedgerClient(
      app.baseUrl,
      tokenFor('clinic-logs', ['clinician', 'auditor']),
    );
    const marker = (name: string) => `PHI-${name}-7f3a`;
    const course = await CourseDriver.enroll(clinician, {
      patientRef: marker('patientRef'),
      screening: {
        psychosis: true,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      },
      override: { reason: marker('override-reason') },
    });
    await course.send('/problem-area', { area: 'grief' });
    await course.send('/problem-area', { area: 'role_dispute', reason: marker('area-reason') });
    const logged = await course.attempt('/sessions', session(1), {
      'x-correlation-id': 'corr-in-logs-42',
    });
    expect(logged.status).toBe(200);
    course.revision = logged.body.revision;
    await course.send('/homework', {
      homeworkId: marker('homeworkId'),
      sessionNumber: 1,
      dueAt: day(7),
      description: marker('description'),
    });
    await course.send(`/homework/${marker('homeworkId')}/submission`, { submittedAt: day(3) });
    const flagged = await course.send(
      '/assessments',
      assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 3]),
    );
    await course.send(`/risk-flags/${flagged.body.riskFlagId}/resolution`, {
      disposition: 'other',
      note: marker('note'),
    });
    // Refused requests that carry identifying values.
    await clinician.post('/v1/courses', {
      patientRef: marker('refused-patientRef'),
      courseId: 'x',
    });
    await course.attempt('/homework', {
      homeworkId: marker('homeworkId'),
      sessionNumber: 1,
      dueAt: day(7),
      description: marker('refused-description'),
    });
    await course.attempt('/sessions', { ...session(2), note: marker('unknown-property') });
    await clinician.get(course.path('/history'));
    // The last request names itself, so that its completion line says every line before it is in.
    await clinician.get(course.path(), { 'x-correlation-id': 'phi-last-request' });
    const lastLine = /"requestId":"phi-last-request"[^\n]*"msg":"request completed"/;
    await waitFor(
      () => lastLine.test(app.output()),
      10_000,
      () => `for the last request's completion in the log:\n${app.output().slice(-2000)}`,
    );

    const output = app.output();
    expect(output).toContain('"msg":"incoming request"'); // logging was on
    // Each request's log lines carry the caller's correlation id as the request id.
    expect(output).toMatch(/"requestId":"corr-in-logs-42"[^\n]*"msg":"incoming request"/);
    expect(output).not.toMatch(/PHI-[a-z-]+-7f3a/i);
  });
});
