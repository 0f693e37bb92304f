/**
 * EventStoreDB going away under a running app: commands answer 503
 * store_unavailable and readiness drops; when the server is back, commands
 * work again and every projection resumes from its checkpoint with nothing
 * skipped or applied twice.
 */
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import { waitFor } from '../support/wait-for';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, session } from './course-scenario';

describe('the app on EventStoreDB through a server outage', () => {
  let server: EsdbTestServer;
  let app: LedgerApp;

  beforeAll(async () => {
    server = await startEsdbTestServer();
    app = await startLedgerApp({ env: { EVENTSTORE_CONNECTION_STRING: server.connectionString } });
  }, 60000);

  afterAll(async () => {
    await app?.stop();
    await server?.stop();
  });

  it('refuses commands with 503 while the store is down and resumes without loss or double counting', async () => {
    const clinicId = 'clinic-outage';
    const clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor']));
    const anonymous = clinician.as(undefined);
    const course = await CourseDriver.enroll(clinician, { plannedSessions: 16 });
    await course.holdSessions(1, 3);
    expect((await course.view()).sessionsHeld).toBe(3);

    await server.stop();
    const refused = await course.attempt('/sessions', session(4));
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('store_unavailable');
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const history = await clinician.get(course.path('/history'));
    expect(history.status).toBe(503);
    await waitFor(
      async () => (await anonymous.get('/health/ready')).status === 503,
      30_000,
      () => 'readiness to drop',
    );
    const ready = await anonymous.get('/health/ready');
    expect(ready.body.checks.eventStore).toBe('down');
    // Views are served from the read models while the store is away.
    expect((await clinician.get(course.path())).body.sessionsHeld).toBe(3);

    await server.restart();
    await waitFor(
      async () => (await anonymous.get('/health/ready')).status === 200,
      30_000,
      () => 'readiness to return',
    );
    await course.holdSessions(4, 6);
    await course.send('/assessments', assessment('PHQ-9', [1, 1, 1, 1, 1, 1, 1, 1, 0]));
    const view = await course.view();
    expect(view).toMatchObject({ sessionsHeld: 6, revision: course.revision });
    expect((await course.view('/outcomes')).instruments['PHQ-9'].baseline.score).toBe(8);

    // The refused command left nothing behind; projections counted each event once.
    const events = (await clinician.get(course.path('/history'))).body.events;
    expect(events.filter((e: { type: string }) => e.type === 'SessionHeld')).toHaveLength(6);
    expect(events.map((e: { revision: number }) => e.revision)).toEqual(
      events.map((_: unknown, i: number) => i),
    );
    const admin = clinician.as(tokenFor(clinicId, ['admin']));
    const projections = (await admin.get('/v1/admin/projections')).body.projections;
    for (const projection of projections) {
      expect(projection.state).toBe('live');
      expect(projection.checkpoint).not.toBeNull();
    }
  }, 60000);
});
