/**
 * An event no reader can decode, written straight into the embedded store
 * while the service is stopped: on restart the projections stop at it and say
 * so in the admin route and /metrics (no PHI), and no clinic called
 * "undefined" appears; the service itself keeps taking commands.
 */
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '@ipt/event-store';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { CourseDriver, NEGATIVE_SCREEN, session } from './course-scenario';

const SECRET = 'MRN-SECRET-4711';
const PROJECTIONS = ['course-completion', 'course-outcomes', 'clinic-summary'];

describe('an undecodable event in the log', () => {
  let api: LedgerApp | undefined;
  afterAll(async () => {
    await api?.stop();
  });

  it('stops the projections at it, visibly and without PHI; commands still work', async () => {
    const dataDir = tempDataDir();
    api = await startLedgerApp({ dataDir });
    const clinician = new LedgerClient(api.baseUrl, tokenFor('clinic-decode', ['clinician']));
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    expect((await course.view()).sessionsHeld).toBe(1);
    await api.stop();

    // An enrollment with a number stored as text and no clinic in its metadata.
    const badStream = `course-${randomUUID()}`;
    const store = new SqliteEventStore(path.join(dataDir, 'events.sqlite'));
    await store.appendToStream(
      badStream,
      [
        {
          eventId: randomUUID(),
          type: 'PatientEnrolled',
          data: {
            courseId: badStream.slice('course-'.length),
            subjectId: randomUUID(),
            therapistId: 'therapist-1',
            plannedSessions: 'sixteen',
            enrolledAt: new Date().toISOString(),
            screening: NEGATIVE_SCREEN,
            positiveCriteria: [],
            screenOverridden: false,
            phi: { patientRef: SECRET },
          },
          metadata: { schemaVersion: 1, recordedAt: new Date().toISOString() },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await store.close();

    api = await startLedgerApp({ dataDir, env: { LOG_LEVEL: 'info' } });
    const admin = new LedgerClient(api.baseUrl, tokenFor('clinic-decode', ['admin']));
    const problem = `cannot decode ${badStream}@0: PatientEnrolled.data.plannedSessions must be number`;
    let listed: { name: string; state: string; lastError: string | null }[] = [];
    await waitFor(
      async () => {
        listed = (await admin.get('/v1/admin/projections')).body.projections;
        return listed.every((p) => p.state === 'failed');
      },
      20_000,
      () => JSON.stringify(listed),
    );
    expect(listed.map((p) => [p.name, p.lastError])).toEqual(
      PROJECTIONS.map((name) => [name, problem]),
    );

    const metrics = (await admin.as(undefined).get('/metrics')).body as string;
    for (const name of PROJECTIONS) {
      expect(metrics).toContain(`ipt_projection_failed{projection="${name}"} 1`);
      expect(metrics).toContain(`ipt_projection_live{projection="${name}"} 0`);
    }
    expect((await admin.as(undefined).get('/health/ready')).status).toBe(503);
    expect((await admin.as(undefined).get('/health/live')).status).toBe(200);

    // No clinic was made up for the event: a clinic named "undefined" has no course.
    const stranger = admin.as(tokenFor('undefined', ['analyst']));
    expect((await stranger.get('/v1/clinics/undefined/summary')).body.courses.total).toBe(0);

    // The write side reads the course's own stream and carries on.
    const resumed = new CourseDriver(
      new LedgerClient(api.baseUrl, tokenFor('clinic-decode', ['clinician'])),
      course.courseId,
    );
    expect((await resumed.attempt('/sessions', session(2))).status).toBe(200);

    expect(api.output()).toContain(problem);
    expect(api.output()).not.toContain(SECRET);
  }, 60_000);
});
