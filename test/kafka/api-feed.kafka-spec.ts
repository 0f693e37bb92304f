/**
 * The API with KAFKA_BROKERS set: the relay runs in-process and feeds the
 * analytics topics from the store's log; readiness and metrics report it; and
 * with no broker reachable the command API keeps accepting commands.
 */
import { waitFor } from '../support/wait-for';
import {
  LedgerClient,
  freePort,
  startLedgerApp,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { readFeed, testBrokers } from '../support/kafka-feed';
import { CourseDriver, assessment, session } from '../e2e/course-scenario';

describe('the API feeding Kafka in-process', () => {
  let app: LedgerApp | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('publishes every recorded event of a course, de-identified, and reports the relay as ready', async () => {
    app = await startLedgerApp({
      env: {
        KAFKA_BROKERS: testBrokers().join(','),
        KAFKA_CLIENT_ID: 'api-feed-test',
        RELAY_TRANSACTIONAL_ID: `api-feed-${Date.now()}`,
      },
    });
    const clinician = new LedgerClient(
      app.baseUrl,
      tokenFor('clinic-feed', ['clinician', 'auditor']),
    );
    const anonymous = clinician.as(undefined);
    // The relay creates the topics when it starts: read them only once it runs.
    await waitFor(
      async () => (await anonymous.get('/health/ready')).body.checks?.relay?.state === 'running',
      30_000,
      () => 'the relay to be ready',
    );
    const course = await CourseDriver.enroll(clinician, { patientRef: 'MRN-FEED-SECRET' });
    await course.send('/sessions', session(1));
    await course.send(
      '/assessments',
      assessment('PHQ-9', [1, 1, 1, 1, 1, 1, 1, 1, 1], { timepoint: 'baseline' }),
    );
    const history = (await clinician.get(course.path('/history'))).body.events as {
      eventId: string;
      type: string;
    }[];

    const messages = await readFeed(testBrokers(), ['ipt.course-events.v1'], {
      isolation: 'read_committed',
      done: (got) => got.filter((m) => m.key === course.courseId).length >= history.length,
    });
    const mine = messages
      .filter((m) => m.key === course.courseId)
      .map((m) => JSON.parse(m.raw.toString('utf8')));
    expect(mine.map((e) => e.id)).toEqual(history.map((e) => e.eventId));
    expect(mine.map((e) => e.sequence)).toEqual(history.map((_, i) => String(i)));
    expect(mine[0]).toMatchObject({
      specversion: '1.0',
      type: 'org.ipt.course.patient-enrolled.v1',
      subject: course.courseId,
      source: '/clinics/clinic-feed',
    });
    for (const m of messages) expect(m.raw.toString('utf8')).not.toContain('MRN-FEED-SECRET');

    const ready = await anonymous.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.relay).toMatchObject({ state: 'running', healthy: true });
    const metrics = await anonymous.get('/metrics');
    expect(metrics.body).toMatch(/relay/);
  }, 90000);

  it('keeps accepting commands while no broker is reachable, and says so in readiness', async () => {
    const nobody = await freePort();
    app = await startLedgerApp({ env: { KAFKA_BROKERS: `127.0.0.1:${nobody}` } });
    const clinician = new LedgerClient(app.baseUrl, tokenFor('clinic-no-broker', ['clinician']));
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    expect((await course.view()).sessionsHeld).toBe(1);
    const anonymous = clinician.as(undefined);
    await waitFor(
      async () => (await anonymous.get('/health/ready')).body.checks?.relay?.state === 'degraded',
      30_000,
      () => 'readiness to report the relay',
    );
    const ready = await anonymous.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({ eventStore: 'up', relay: { healthy: false } });
    // The in-process relay logs through pino: structured, with the error's message and stack.
    expect(app.output()).toMatch(
      /"context":"relay"[^\n]*"err":\{[^\n]*"message":"[^"]+"[^\n]*"stack":"[^"]+[^\n]*"msg":"relay degraded/,
    );
  }, 60000);
});
