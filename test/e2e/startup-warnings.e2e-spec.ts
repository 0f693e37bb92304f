/**
 * The API starts without process warnings (issue 17): no Fastify deprecation
 * (FSTDEP023/FSTDEP024 for top-level request-logging options), no
 * ExperimentalWarning for node:sqlite on Node 22, nothing else either. A
 * course is enrolled and read back first, so the SQLite files are in use.
 */
import { CourseDriver } from './course-scenario';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';

describe('API start-up output', () => {
  let app: LedgerApp;

  afterAll(async () => {
    await app?.stop();
  });

  it('prints no process warning while starting and serving commands', async () => {
    app = await startLedgerApp({ env: { LOG_LEVEL: 'info' } });
    const clinician = new LedgerClient(app.baseUrl, tokenFor('clinic-warnings', ['clinician']));
    const course = await CourseDriver.enroll(clinician);
    expect((await course.view()).courseId).toBe(course.courseId);
    await app.stop();

    expect(app.output()).toContain('"msg":"listening"');
    // Process warnings print as "(node:1234) [FSTDEP023] FastifyDeprecation: …" or "(node:1234) ExperimentalWarning: …".
    expect(app.output()).not.toMatch(/\(node:\d+\) /);
  });
});
