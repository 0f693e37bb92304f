/**
 * PostgreSQL stopped mid-run: readiness goes down, whatever needs the shared
 * database answers 503 database_unavailable (never 500), every recorded route
 * included, since its access record is committed there before the answer
 * leaves; a command that needs only the event store is still recorded (its
 * answer is the 503), and when PostgreSQL is back the projections go on from
 * their checkpoints: nothing is lost. The suite runs its own
 * embedded PostgreSQL server, since it stops it.
 */
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, type StartedPostgres } from '../support/postgres-server';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { CourseDriver, session } from './course-scenario';

jest.setTimeout(120_000);

describe('PostgreSQL stopped and started again under a running API', () => {
  let postgres: StartedPostgres;
  let api: LedgerApp;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
    api = await startLedgerApp({
      env: { DATABASE_URL: postgres.url, PHI_KEK: randomBytes(32).toString('base64') },
    });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await postgres?.stop({ removeData: true });
  });

  it('answers 503 with a code while it is down, and catches up when it is back', async () => {
    const clinician = new LedgerClient(api.baseUrl, tokenFor('clinic-outage', ['clinician']));
    const anonymous = clinician.as(undefined);
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    expect(await course.view()).toMatchObject({ sessionsHeld: 1 });
    expect((await anonymous.get('/health/ready')).status).toBe(200);
    // The course's key is now cached: its history needs PostgreSQL for nothing but the access record.
    expect((await clinician.get(course.path('/history'))).status).toBe(200);

    await postgres.stop();

    const ready = await anonymous.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe('down');
    const view = await clinician.get(course.path());
    expect([view.status, view.body.code]).toEqual([503, 'database_unavailable']);
    expect(view.headers.get('retry-after')).toBe('1');
    // A read whose access record cannot be committed is not answered.
    const history = await clinician.get(course.path('/history'));
    expect([history.status, history.body.code]).toEqual([503, 'database_unavailable']);
    expect(history.headers.get('retry-after')).toBe('1');
    const list = await clinician.get('/v1/courses');
    expect([list.status, list.body.code]).toEqual([503, 'database_unavailable']);
    // A keyed command needs its idempotency record: refused with a code, nothing recorded.
    const keyed = await course.attempt('/sessions', session(2), { 'idempotency-key': 'outage-2' });
    expect([keyed.status, keyed.body.code]).toEqual([503, 'database_unavailable']);
    // An unkeyed command needs only the event store, but its access record must be committed in
    // PostgreSQL before any answer leaves (audit.md §3): the event is recorded, the answer is 503.
    const unkeyed = await course.attempt('/sessions', session(2));
    expect([unkeyed.status, unkeyed.body.code]).toEqual([503, 'database_unavailable']);
    expect(unkeyed.headers.get('retry-after')).toBe('1');
    const revision = course.revision + 1;

    await postgres.restart();

    await waitFor(
      async () => (await anonymous.get('/health/ready')).status === 200,
      20_000,
      () => 'readiness to come back',
    );
    const caughtUp = await clinician.get(course.path(), { 'x-min-revision': String(revision) });
    expect(caughtUp.status).toBe(200);
    expect(caughtUp.body).toMatchObject({ sessionsHeld: 2, revision });
    // The keyed command refused during the outage goes through now, once.
    const retried = await course.attempt('/sessions', session(3), {
      'idempotency-key': 'outage-3',
    });
    expect(retried.status).toBe(200);
    const again = await course.attempt('/sessions', session(3), { 'idempotency-key': 'outage-3' });
    expect(again.body).toEqual(retried.body);
    expect(
      (await clinician.get(course.path(), { 'x-min-revision': String(retried.body.revision) })).body
        .sessionsHeld,
    ).toBe(3);
  });
});
