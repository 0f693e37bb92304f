/**
 * An erasure on the analytics feed (analytics-feed.md, privacy.md): one more
 * event, `org.ipt.course.personal-data-erased.v1` with only subjectId, day and
 * reason; the events published before it and the outcome figures unchanged;
 * no PHI, no ticket reference.
 */
import { waitFor } from '../support/wait-for';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { readFeed, testBrokers, type FeedMessage } from '../support/kafka-feed';
import { feedSchemas } from '../support/kafka-asyncapi';
import { phiCourse } from '../e2e/privacy-scenario';

const EVENTS = 'ipt.course-events.v1';
const OUTCOMES = 'ipt.course-outcomes.v1';

describe('an erasure on the analytics feed', () => {
  let app: LedgerApp | undefined;

  afterAll(async () => {
    await app?.stop();
  });

  it('publishes personal-data-erased with subjectId, day and reason only; the rest of the feed is unchanged', async () => {
    app = await startLedgerApp({
      env: {
        KAFKA_BROKERS: testBrokers().join(','),
        KAFKA_CLIENT_ID: 'erasure-feed-test',
        RELAY_TRANSACTIONAL_ID: `erasure-feed-${Date.now()}`,
      },
    });
    const clinicId = 'clinic-erasure-feed';
    const clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor']));
    const anonymous = clinician.as(undefined);
    await waitFor(
      async () => (await anonymous.get('/health/ready')).body.checks?.relay?.state === 'running',
      30_000,
      () => 'the relay to be ready',
    );
    const { course, phi } = await phiCourse(clinician, 'FEED');
    const mine = (messages: FeedMessage[], topic: string) =>
      messages.filter((m) => m.topic === topic && m.key === course.courseId);
    const before = await readFeed(testBrokers(), [EVENTS, OUTCOMES], {
      done: (got) => mine(got, EVENTS).length >= 11,
    });
    const eventsBefore = mine(before, EVENTS).map((m) => m.raw.toString('utf8'));
    const outcomesBefore = JSON.parse(mine(before, OUTCOMES).at(-1)!.raw.toString('utf8'));

    const reference = `TICKET-FEED-${course.courseId}`;
    const officer = clinician.as(tokenFor(clinicId, ['privacy_officer']));
    const erased = await officer.post(course.path('/erasure'), {
      reason: 'data_subject_request',
      reference,
    });
    expect(erased.status).toBe(200);

    const after = await readFeed(testBrokers(), [EVENTS, OUTCOMES], {
      done: (got) => mine(got, EVENTS).length >= 12,
    });
    const events = mine(after, EVENTS).map((m) => m.raw.toString('utf8'));
    expect(events).toHaveLength(12);
    // What was published before is there once, byte for byte.
    expect(events.slice(0, 11)).toEqual(eventsBefore);
    const erasure = JSON.parse(events[11]);
    const enrolled = JSON.parse(events[0]);
    expect(erasure).toMatchObject({
      type: 'org.ipt.course.personal-data-erased.v1',
      subject: course.courseId,
      sequence: '11',
      source: `/clinics/${clinicId}`,
    });
    expect(erasure).not.toHaveProperty('time');
    expect(erasure.data).toEqual({
      subjectId: enrolled.data.subjectId,
      day: expect.any(Number),
      reason: 'data_subject_request',
    });
    expect(feedSchemas().cloudEvent(erasure)).toEqual([]);

    // The outcome figures are the same; only the snapshot's revision moved.
    const outcomesAfter = JSON.parse(mine(after, OUTCOMES).at(-1)!.raw.toString('utf8'));
    expect(outcomesAfter.revision).toBe(11);
    expect({ ...outcomesAfter, revision: 0 }).toEqual({ ...outcomesBefore, revision: 0 });

    for (const m of after) {
      const text = m.raw.toString('utf8');
      for (const secret of [...phi, reference]) expect(text).not.toContain(secret);
    }
  }, 120_000);
});
