/**
 * Engagement warnings over HTTP (issue 18): a generated clinic whose courses
 * each hold one reason (or none), the at-risk list with its filters and
 * pagination, the summary's count, the state "as of", and the metrics.
 * Clinical times are set relative to the real clock with hours of margin
 * around the 14-day threshold (the exact threshold is tested with a
 * controlled clock in libs/projections/src/views/engagement.spec.ts).
 */
import { randomUUID } from 'node:crypto';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, homework, session } from './course-scenario';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
/** The clinical time `days` (and `hours`) before now. */
const ago = (days: number, hours = 0) =>
  new Date(Date.now() - days * DAY - hours * HOUR).toISOString();
const ids = (page: { items: { courseId: string }[] }) => page.items.map((c) => c.courseId);

describe('engagement: catching a dropout early, over HTTP', () => {
  let app: LedgerApp;
  const clinicId = `clinic-${randomUUID().slice(0, 8)}`;
  let clinician: LedgerClient;
  /** Name → course, and the reasons each should show. */
  const courses = new Map<string, { driver: CourseDriver; reasons: string[] | null }>();

  beforeAll(async () => {
    app = await startLedgerApp();
    clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor']));
    // Enrolled one hour apart, so the list order (newest enrollment first) is known.
    let order = 0;
    const enroll = (days: number, therapistId = 'therapist-a') =>
      CourseDriver.enroll(clinician, { enrolledAt: ago(days, order++), therapistId });
    const add = (name: string, driver: CourseDriver, reasons: string[] | null) =>
      courses.set(name, { driver, reasons });

    add('fresh', await enroll(10), []);

    const longAgo = await enroll(15);
    add('longAgo', longAgo, ['no_recent_session']);

    const justUnder = await enroll(14); // 14 days and a few hours: still 14 whole days
    add('justUnder', justUnder, []);

    const twoMissed = await enroll(10, 'therapist-b');
    await twoMissed.send('/sessions', session(1, { heldAt: ago(9) }));
    await twoMissed.send('/missed-sessions', { scheduledAt: ago(5), kind: 'did_not_attend' });
    await twoMissed.send('/missed-sessions', { scheduledAt: ago(2), kind: 'cancelled_by_patient' });
    add('twoMissed', twoMissed, ['missed_sessions']);

    const clinicCancelled = await enroll(10);
    await clinicCancelled.send('/sessions', session(1, { heldAt: ago(9) }));
    await clinicCancelled.send('/missed-sessions', { scheduledAt: ago(5), kind: 'did_not_attend' });
    await clinicCancelled.send('/missed-sessions', {
      scheduledAt: ago(2),
      kind: 'cancelled_by_clinic',
    });
    add('clinicCancelled', clinicCancelled, []);

    const homeworkUndone = await enroll(10);
    await homeworkUndone.send('/sessions', session(1, { heldAt: ago(9) }));
    for (const id of ['h1', 'h2', 'h3'])
      await homeworkUndone.send('/homework', homework(id, { dueAt: ago(2) }));
    await homeworkUndone.send('/homework/h1/submission', { submittedAt: ago(3) });
    add('homeworkUndone', homeworkUndone, ['homework_not_done']);

    const worse = await enroll(10);
    await worse.send('/sessions', session(1, { heldAt: ago(9) }));
    const phq9 = (total: number) =>
      Array.from({ length: 9 }, (_, i) => Math.min(3, Math.max(0, total - 3 * i)));
    await worse.send(
      '/assessments',
      assessment('PHQ-9', phq9(8), { timepoint: 'baseline', administeredAt: ago(9) }),
    );
    await worse.send('/assessments', assessment('PHQ-9', phq9(14), { administeredAt: ago(2) }));
    add('worse', worse, ['deteriorating']);

    const completed = await enroll(30);
    await completed.send('/sessions', session(1, { heldAt: ago(29) }));
    await completed.send('/completion', { completedAt: ago(28) });
    add('completed', completed, null);

    const withdrawn = await enroll(30, 'therapist-b');
    await withdrawn.send('/withdrawal', { withdrawnAt: ago(28), reason: 'lost_to_contact' });
    add('withdrawn', withdrawn, null);

    for (const { driver } of courses.values()) await driver.view(); // projected
  }, 60000);

  afterAll(async () => {
    await app?.stop();
  });

  const named = (...names: string[]) => names.map((n) => courses.get(n)!.driver.courseId);
  /** In list order: the latest enrollment first (later adds were enrolled more hours ago). */
  const inListOrder = (predicate: (reasons: string[] | null) => boolean) =>
    [...courses.entries()]
      .filter(([, c]) => predicate(c.reasons))
      .sort(([a], [b]) => order(a) - order(b))
      .map(([, c]) => c.driver.courseId);
  const enrolledAt = new Map<string, number>();
  const order = (name: string) => -enrolledAt.get(name)!;

  beforeAll(async () => {
    for (const [name, { driver }] of courses) {
      enrolledAt.set(name, Date.parse((await driver.view()).enrolledAt));
    }
  });

  it('shows each reason in the course view, and engagement null on a closed course', async () => {
    for (const [name, { driver, reasons }] of courses) {
      const view = await driver.view();
      expect({ name, engagement: view.engagement && view.engagement.reasons }).toEqual({
        name,
        engagement: reasons,
      });
      if (reasons) expect(view.engagement.atRisk).toBe(reasons.length > 0);
    }
    expect((await courses.get('twoMissed')!.driver.view()).engagement).toEqual({
      patientMissedSinceLastSession: 2,
      daysSinceLastContact: 9,
      reasons: ['missed_sessions'],
      atRisk: true,
    });
    expect((await courses.get('justUnder')!.driver.view()).engagement.daysSinceLastContact).toBe(
      14,
    );
  });

  it('lists the active courses at risk, newest enrollment first, page by page', async () => {
    const expected = inListOrder((r) => r !== null && r.length > 0);
    expect(expected).toHaveLength(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await clinician.get(
        `/v1/courses?atRisk=true&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      for (const item of page.body.items) expect(item.engagement.atRisk).toBe(true);
      seen.push(...ids(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  it('combines atRisk with the other filters; atRisk=false is the active courses not at risk', async () => {
    const notAtRisk = await clinician.get('/v1/courses?atRisk=false&limit=500');
    expect(ids(notAtRisk.body)).toEqual(inListOrder((r) => r !== null && r.length === 0));

    const b = await clinician.get('/v1/courses?atRisk=true&therapistId=therapist-b');
    expect(ids(b.body)).toEqual(named('twoMissed'));
    const active = await clinician.get('/v1/courses?atRisk=true&status=active&limit=500');
    expect(ids(active.body).sort()).toEqual(inListOrder((r) => !!r?.length).sort());
    const closed = await clinician.get('/v1/courses?atRisk=true&status=withdrawn');
    expect(closed.body).toEqual({ items: [], nextCursor: null });

    const everything = await clinician.get('/v1/courses?limit=500');
    expect(everything.body.items).toHaveLength(courses.size);

    const bad = await clinician.get('/v1/courses?atRisk=yes');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'atRisk' }] });
  });

  it('counts the active courses at risk in the clinic summary', async () => {
    const analyst = clinician.as(tokenFor(clinicId, ['analyst']));
    const summary = await analyst.get(`/v1/clinics/${clinicId}/summary`);
    expect(summary.status).toBe(200);
    expect(summary.body.courses).toEqual({ total: 9, active: 7, completed: 1, withdrawn: 1 });
    expect(summary.body.atRisk).toBe(4);
  });

  it('gives the engagement of the state "as of" at that instant', async () => {
    const { driver } = courses.get('twoMissed')!;
    const history = await clinician.get(driver.path('/history'));
    const enrollment = history.body.events[0];
    // Just after enrollment was recorded: nothing held, nothing missed, no day passed.
    const asOf = new Date(Date.parse(enrollment.recordedAt) + 1).toISOString();
    const state = await clinician.get(driver.path(`/state?asOf=${encodeURIComponent(asOf)}`));
    expect(state.status).toBe(200);
    expect(state.body.course.engagement).toEqual({
      patientMissedSinceLastSession: 0,
      daysSinceLastContact: 10, // enrolled 10 days (and a few hours) before it was recorded
      reasons: [],
      atRisk: false,
    });
    const byRevision = await clinician.get(driver.path('/state?revision=3'));
    expect(byRevision.body.course.engagement).toMatchObject({
      patientMissedSinceLastSession: 2,
      reasons: ['missed_sessions'],
    });
  });

  it('exposes the courses at risk per clinic and reason in /metrics', async () => {
    const metrics = await clinician.as(undefined).get('/metrics');
    expect(metrics.status).toBe(200);
    const figure = (reason: string) =>
      new RegExp(
        `^ipt_courses_at_risk\\{clinic_id="${clinicId}",reason="${reason}"\\} (\\d+)$`,
        'm',
      ).exec(metrics.body)?.[1];
    expect({
      missed_sessions: figure('missed_sessions'),
      no_recent_session: figure('no_recent_session'),
      homework_not_done: figure('homework_not_done'),
      deteriorating: figure('deteriorating'),
    }).toEqual({
      missed_sessions: '1',
      no_recent_session: '1',
      homework_not_done: '1',
      deteriorating: '1',
    });
  });
});
