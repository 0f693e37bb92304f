/**
 * The end-to-end suite: the built API as a real process, over real HTTP, on
 * whichever event store the runner configures (embedded SQLite, or
 * EventStoreDB through the real client). Numbers in expectations are worked
 * out by hand from domain.md, not computed by the code under test.
 */
import { randomUUID } from 'node:crypto';
import { readPublicKey, verifyBundle } from '@ipt/audit-verifier';
import { waitFor } from '../support/wait-for';
import {
  LedgerClient,
  startLedgerApp,
  tokenFor,
  type HttpAnswer,
  type LedgerApp,
} from '../support/ledger-app';
import {
  CourseDriver,
  homework,
  ENROLLED_AT,
  NEGATIVE_SCREEN,
  assessment,
  day,
  enrollment,
  expectAccepted,
  session,
} from './course-scenario';

export interface StoreUnderTest {
  /** Environment that points the app at the store (empty for the embedded default). */
  env(): Record<string, string>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

const newClinic = () => `clinic-${randomUUID().slice(0, 8)}`;

export function describeLedgerApi(storeName: string, store: StoreUnderTest): void {
  describe(`ledger API over HTTP on ${storeName}`, () => {
    let app: LedgerApp;
    let clinicId: string;
    let clinician: LedgerClient;

    beforeAll(async () => {
      await store.start?.();
      app = await startLedgerApp({ env: { CHECKPOINT_INTERVAL_MS: '100', ...store.env() } });
    }, 60000);

    afterAll(async () => {
      await app?.stop();
      await store.stop?.();
    });

    beforeEach(() => {
      clinicId = newClinic();
      clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician']));
    });

    const eventCount = async (course: CourseDriver): Promise<number> => {
      const history = await course.api
        .as(tokenFor(clinicId, ['auditor']))
        .get(course.path('/history'));
      return history.body.events.length;
    };

    describe('a full course from enrollment to completion', () => {
      it('records every fact and computes the completion, outcome and clinic figures of domain.md', async () => {
        // Enrollment and the first form through the typed client generated from the document.
        const enrolled = await clinician.typed.POST('/v1/courses', {
          body: {
            courseId: randomUUID(),
            patientRef: `MRN-${randomUUID().slice(0, 8)}`,
            therapistId: 'therapist-1',
            plannedSessions: 12,
            enrolledAt: ENROLLED_AT,
            screening: NEGATIVE_SCREEN,
          },
        });
        expect(enrolled.response.status).toBe(201);
        expect(enrolled.response.headers.get('etag')).toBe('"0"');
        const course = new CourseDriver(clinician, enrolled.data!.courseId);
        const phqBaseline = await clinician.typed.POST('/v1/courses/{courseId}/assessments', {
          params: { path: { courseId: course.courseId } },
          body: {
            assessmentId: randomUUID(),
            instrument: 'PHQ-9',
            timepoint: 'baseline',
            administeredAt: day(0, 9),
            items: [3, 3, 2, 2, 2, 2, 2, 2, 0],
          },
        });
        expect(phqBaseline.data).toEqual({
          courseId: course.courseId,
          revision: 1,
          total: 18,
          severity: 'moderately_severe',
          riskFlagId: null,
        });
        await course.send(
          '/assessments',
          assessment('GAD-7', [2, 2, 2, 2, 2, 1, 1], { timepoint: 'baseline' }),
        );
        await course.send('/problem-area', { area: 'role_transition' });
        await course.holdSessions(1, 2);
        await course.send('/homework', {
          homeworkId: 'hw-1',
          sessionNumber: 1,
          dueAt: day(7),
          description: 'Talk to a friend',
        });
        await course.send('/homework', {
          homeworkId: 'hw-2',
          sessionNumber: 2,
          dueAt: day(14),
          description: 'Role map',
        });
        await course.send('/homework/hw-1/submission', { submittedAt: day(5) });
        await course.send('/missed-sessions', { scheduledAt: day(14, 15), kind: 'did_not_attend' });
        await course.send('/missed-sessions', {
          scheduledAt: day(28, 15),
          kind: 'cancelled_by_clinic',
        });
        await course.holdSessions(3, 6);
        const mid = await course.send(
          '/assessments',
          assessment('PHQ-9', [2, 2, 1, 1, 1, 1, 1, 1, 1], { administeredAt: day(35, 11) }),
        );
        expect(mid.body).toMatchObject({ total: 11, severity: 'moderate' });
        expect(mid.body.riskFlagId).toMatch(/^[0-9a-f-]{36}$/);
        expect((await course.view()).openRiskFlags).toBe(1);
        await course.send(`/risk-flags/${mid.body.riskFlagId}/resolution`, {
          disposition: 'safety_plan',
          note: 'Plan agreed',
        });
        await course.holdSessions(7, 12);
        await course.send(
          '/assessments',
          assessment('PHQ-9', [1, 1, 1, 0, 0, 0, 0, 1, 0], {
            timepoint: 'end',
            administeredAt: day(77, 11),
          }),
        );
        await course.send(
          '/assessments',
          assessment('GAD-7', [1, 1, 1, 1, 1, 1, 1], {
            timepoint: 'end',
            administeredAt: day(77, 11),
          }),
        );
        const completed = await course.send('/completion', { completedAt: day(77, 12) });
        expect(completed.headers.get('etag')).toBe(`"${completed.body.revision}"`);
        const followUp = await course.send(
          '/assessments',
          assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 0], {
            timepoint: 'follow_up',
            administeredAt: day(168),
          }),
        );

        expect(await course.view()).toEqual({
          courseId: course.courseId,
          clinicId,
          subjectId: expect.stringMatching(
            /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          ),
          patientRef: expect.stringMatching(/^MRN-/),
          erased: false,
          therapistId: 'therapist-1',
          status: 'completed',
          plannedSessions: 12,
          sessionsHeld: 12,
          sessionsMissed: 2,
          attendanceRate: 12 / 13, // the clinic's cancellation is not the patient's absence
          phase: 'termination',
          problemArea: 'role_transition',
          homeworkAssigned: 2,
          homeworkSubmitted: 1,
          homeworkCompletionRate: 0.5,
          openRiskFlags: 0,
          enrolledAt: ENROLLED_AT,
          firstSessionAt: day(0),
          lastSessionAt: day(77),
          completedAt: day(77, 12),
          withdrawnAt: null,
          withdrawalReason: null,
          weeksInTreatment: 11,
          protocolComplete: true,
          earlyTermination: false,
          dropout: false,
          revision: followUp.body.revision,
          engagement: null, // closed
        });

        const outcomes = await course.view('/outcomes');
        expect(outcomes.courseId).toBe(course.courseId);
        expect(outcomes.revision).toBe(followUp.body.revision);
        expect(outcomes.instruments['PHQ-9']).toEqual({
          baseline: {
            assessmentId: expect.any(String),
            score: 18,
            severity: 'moderately_severe',
            administeredAt: day(0, 9),
          },
          endpoint: {
            assessmentId: expect.any(String),
            score: 4,
            severity: 'minimal',
            administeredAt: day(77, 11),
          },
          followUp: {
            assessmentId: expect.any(String),
            score: 0,
            severity: 'minimal',
            administeredAt: day(168),
          },
          change: 14,
          percentChange: expect.closeTo((14 / 18) * 100, 9),
          response: true,
          remission: true,
          reliableImprovement: true,
          reliableDeterioration: false,
          caseAtBaseline: true,
          recovery: true,
          reliableRecovery: true,
        });
        expect(outcomes.instruments['GAD-7']).toMatchObject({
          baseline: { score: 12, severity: 'moderate' },
          endpoint: { score: 7, severity: 'mild' },
          followUp: null,
          change: 5,
          response: false, // 41.7 % < 50 %
          remission: false, // 7 is not < 5
          reliableImprovement: true, // 5 >= 4
          reliableDeterioration: false,
          caseAtBaseline: true,
          recovery: true, // 7 < 8
          reliableRecovery: true,
        });
        expect(outcomes.instruments['GAD-7'].percentChange).toBeCloseTo((5 / 12) * 100, 9);
        expect(outcomes.instruments['HRSD-17']).toBeUndefined();
        expect(outcomes.riskFlags).toEqual([
          {
            flagId: mid.body.riskFlagId,
            assessmentId: expect.any(String),
            instrument: 'PHQ-9',
            item: 9,
            score: 1,
            raisedAt: expect.any(String),
            status: 'resolved',
            resolvedAt: expect.any(String),
            disposition: 'safety_plan',
          },
        ]);

        // A second course of the clinic drops out after two sessions.
        const dropout = await CourseDriver.enroll(clinician);
        await dropout.holdSessions(1, 2);
        await dropout.send('/withdrawal', { withdrawnAt: day(10), reason: 'patient_choice' });
        expect(await dropout.view()).toMatchObject({
          status: 'withdrawn',
          dropout: true,
          protocolComplete: false,
          phase: 'initial',
        });

        // The reads of the audit trail go through the typed client generated from the document.
        const analyst = clinician.as(tokenFor(clinicId, ['analyst'])).typed;
        const summary = await analyst.GET('/v1/clinics/{clinicId}/summary', {
          params: { path: { clinicId } },
        });
        expect(summary.response.status).toBe(200);
        expect(summary.data).toEqual({
          clinicId,
          courses: { total: 2, active: 0, completed: 1, withdrawn: 1 },
          atRisk: 0,
          protocolCompletionRate: 0.5,
          dropoutRate: 0.5,
          instruments: {
            'PHQ-9': { responseRate: 1, remissionRate: 1, reliableImprovementRate: 1 },
            'GAD-7': { responseRate: 0, remissionRate: 0, reliableImprovementRate: 1 },
          },
        });
        expect(JSON.stringify(summary.data)).not.toMatch(/MRN-|patientRef/);

        // Audit: the whole history with metadata, and the state as of an earlier point.
        const auditor = clinician.as(tokenFor(clinicId, ['auditor'])).typed;
        const courseId = { path: { courseId: course.courseId } };
        const history = await auditor.GET('/v1/courses/{courseId}/history', { params: courseId });
        expect(history.response.status).toBe(200);
        const events = history.data!.events;
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        expect(events[0]).toMatchObject({
          type: 'PatientEnrolled',
          revision: 0,
          data: { courseId: course.courseId },
        });
        expect(events[0].metadata).toMatchObject({
          actor: { id: `clinician@${clinicId}`, role: 'clinician' },
          clinicId,
          commandId: expect.any(String),
          correlationId: expect.any(String),
          causationId: expect.any(String),
          schemaVersion: 1,
          recordedAt: expect.any(String),
        });
        expect(events.filter((e) => e.type === 'RiskFlagRaised')).toHaveLength(1);
        const positions = events.map((e) => e.position);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);

        const asOfBaseline = await auditor.GET('/v1/courses/{courseId}/state', {
          params: { ...courseId, query: { revision: '2' } },
        });
        expect(asOfBaseline.response.status).toBe(200);
        expect(asOfBaseline.data!.revision).toBe(2);
        expect(asOfBaseline.data!.course).toMatchObject({
          status: 'active',
          sessionsHeld: 0,
          problemArea: null,
          clinicId,
        });
        expect(Object.keys(asOfBaseline.data!.outcomes.instruments).sort()).toEqual([
          'GAD-7',
          'PHQ-9',
        ]);
        expect(asOfBaseline.data!.outcomes.instruments['PHQ-9']!.endpoint).toBeNull();

        const beforeCompletion = events.find((e) => e.type === 'CourseCompleted')!;
        const justBefore = new Date(Date.parse(beforeCompletion.recordedAt) - 1).toISOString();
        const asOfInstant = await auditor.GET('/v1/courses/{courseId}/state', {
          params: { ...courseId, query: { asOf: justBefore } },
        });
        expect(asOfInstant.response.status).toBe(200);
        expect(asOfInstant.data!.course.status).toBe('active');
        expect(asOfInstant.data!.revision).toBe(beforeCompletion.revision - 1);
        const beforeEnrollment = await auditor.GET('/v1/courses/{courseId}/state', {
          params: { ...courseId, query: { asOf: '2000-01-01T00:00:00Z' } },
        });
        expect(beforeEnrollment.response.status).toBe(404);
        expect(beforeEnrollment.error).toMatchObject({ code: 'course_not_found', status: 404 });
      });

      it('lists the clinic’s courses with filters and cursor pagination', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const course = await CourseDriver.enroll(clinician, {
            enrolledAt: day(i),
            therapistId: i % 2 === 0 ? 'even' : 'odd',
          });
          ids.push(course.courseId);
          course.revision = 0;
          await course.view(); // wait for the projection
        }
        const withdrawn = new CourseDriver(clinician, ids[4]);
        await withdrawn.send('/withdrawal', { withdrawnAt: day(4, 12), reason: 'moved' });
        await withdrawn.view();

        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: any = await clinician.get(
            `/v1/courses?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          );
          expect(page.status).toBe(200);
          expect(page.body.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.body.items.map((c: { courseId: string }) => c.courseId));
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(seen).toEqual([...ids].reverse()); // newest enrollment first, each once

        const odd = await clinician.get('/v1/courses?therapistId=odd');
        expect(odd.body.items.map((c: { courseId: string }) => c.courseId).sort()).toEqual(
          [ids[1], ids[3]].sort(),
        );
        const active = await clinician.get('/v1/courses?status=active&limit=500');
        expect(active.body.items).toHaveLength(4);
        expect(active.body.nextCursor).toBeNull();
        const other = clinician.as(tokenFor(newClinic(), ['clinician']));
        expect((await other.get('/v1/courses')).body.items).toEqual([]);
      });
    });

    describe('domain rules answer 409 with their code and append nothing', () => {
      const cases: [
        code: string,
        run: (course: CourseDriver) => Promise<{ suffix: string; body: unknown }>,
      ][] = [
        [
          'course_exists',
          async (c) => ({ suffix: '', body: enrollment({ courseId: c.courseId }) }),
        ],
        [
          'course_closed',
          async (c) => {
            await c.send('/withdrawal', { withdrawnAt: day(1), reason: 'moved' });
            return { suffix: '/sessions', body: session(1) };
          },
        ],
        [
          'follow_up_requires_closed_course',
          async () => ({
            suffix: '/assessments',
            body: assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 0], {
              timepoint: 'follow_up',
              administeredAt: day(3),
            }),
          }),
        ],
        ['session_out_of_order', async () => ({ suffix: '/sessions', body: session(2) })],
        [
          'session_limit_reached',
          async (c) => {
            await c.holdSessions(1, 12);
            return { suffix: '/sessions', body: session(13) };
          },
        ],
        [
          'time_out_of_order',
          async () => ({ suffix: '/sessions', body: session(1, { heldAt: day(-1) }) }),
        ],
        [
          'problem_area_unchanged',
          async (c) => {
            await c.send('/problem-area', { area: 'grief' });
            return { suffix: '/problem-area', body: { area: 'grief' } };
          },
        ],
        [
          'reason_required',
          async (c) => {
            await c.send('/problem-area', { area: 'grief' });
            return { suffix: '/problem-area', body: { area: 'role_dispute' } };
          },
        ],
        [
          'homework_exists',
          async (c) => {
            await c.holdSessions(1, 1);
            await c.send('/homework', homework('h'));
            return {
              suffix: '/homework',
              body: homework('h', { description: 'Another task' }),
            };
          },
        ],
        [
          'session_not_held',
          async () => ({
            suffix: '/homework',
            body: homework('h'),
          }),
        ],
        [
          'homework_unknown',
          async () => ({ suffix: '/homework/nope/submission', body: { submittedAt: day(3) } }),
        ],
        [
          'homework_already_submitted',
          async (c) => {
            await c.holdSessions(1, 1);
            await c.send('/homework', homework('h'));
            await c.send('/homework/h/submission', { submittedAt: day(3) });
            return { suffix: '/homework/h/submission', body: { submittedAt: day(4) } };
          },
        ],
        [
          'assessment_exists',
          async (c) => {
            const form = assessment('GAD-7', [0, 0, 0, 0, 0, 0, 0]);
            await c.send('/assessments', form);
            return { suffix: '/assessments', body: form };
          },
        ],
        [
          'risk_flag_unknown',
          async () => ({
            suffix: `/risk-flags/${randomUUID()}/resolution`,
            body: { disposition: 'no_current_risk' },
          }),
        ],
        [
          'risk_flag_already_resolved',
          async (c) => {
            const raised = await c.send(
              '/assessments',
              assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 2]),
            );
            await c.send(`/risk-flags/${raised.body.riskFlagId}/resolution`, {
              disposition: 'crisis_referral',
            });
            return {
              suffix: `/risk-flags/${raised.body.riskFlagId}/resolution`,
              body: { disposition: 'other' },
            };
          },
        ],
        [
          'no_sessions_held',
          async () => ({ suffix: '/completion', body: { completedAt: day(1) } }),
        ],
        [
          'open_risk_flags',
          async (c) => {
            await c.holdSessions(1, 1);
            await c.send(
              '/assessments',
              assessment('BDI-II', [...Array(8).fill(0), 1, ...Array(12).fill(0)]),
            );
            return { suffix: '/completion', body: { completedAt: day(1) } };
          },
        ],
        [
          'assessment_unknown',
          async () => ({
            suffix: `/assessments/${randomUUID()}/correction`,
            body: { items: [0, 0, 0, 0, 0, 0, 0], reason: 'typed into the wrong form' },
          }),
        ],
        [
          'correction_unchanged',
          async (c) => {
            const form = assessment('GAD-7', [1, 0, 0, 0, 0, 0, 0]);
            await c.send('/assessments', form);
            return {
              suffix: `/assessments/${form.assessmentId}/correction`,
              body: { items: form.items, reason: 'checking the form again' },
            };
          },
        ],
      ];

      it.each(cases)('%s', async (code, arrange) => {
        const course = await CourseDriver.enroll(clinician);
        const { suffix, body } = await arrange(course);
        const before = await eventCount(course);
        const route = suffix === '' ? '/v1/courses' : course.path(suffix);
        const answer = await clinician.post(route, body);
        expect(answer.status).toBe(409);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({
          status: 409,
          code,
          type: expect.any(String),
          title: expect.any(String),
          detail: expect.any(String),
        });
        expect(await eventCount(course)).toBe(before);
      });

      it('a positive screen is ineligible (422, naming the criteria) unless overridden with a reason', async () => {
        const screening = {
          psychosis: true,
          bipolarDisorder: false,
          primarySubstanceUse: true,
          acuteSuicideRisk: false,
        };
        const refused = await clinician.post('/v1/courses', enrollment({ screening }));
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({ code: 'ineligible' });
        expect(refused.body.criteria.sort()).toEqual(['primarySubstanceUse', 'psychosis']);
        const overridden = enrollment({
          screening,
          override: { reason: 'Remitted, specialist agrees' },
        });
        const accepted = await clinician.post('/v1/courses', overridden);
        expect(accepted.status).toBe(201);
        const course = new CourseDriver(clinician, overridden.courseId as string);
        const history = await clinician.get(course.path('/history'));
        expect(history.body.events[0].data).toMatchObject({
          screenOverridden: true,
          phi: { overrideReason: 'Remitted, specialist agrees' },
        });
      });
    });

    describe('malformed requests answer 400 validation_failed and append nothing', () => {
      // Every row has four cells: jest would pass `done` in a missing last one.
      const cases: [what: string, suffix: string, body: unknown, field: string | undefined][] = [
        ['wrong item count', '/assessments', assessment('PHQ-9', [0, 0, 0]), 'items'],
        [
          'item out of range',
          '/assessments',
          assessment('PHQ-9', [0, 0, 0, 4, 0, 0, 0, 0, 0]),
          'items[3]',
        ],
        [
          'HRSD-17 item above its 0-2 range',
          '/assessments',
          assessment('HRSD-17', [0, 0, 0, 3, ...Array(13).fill(0)]),
          'items[3]',
        ],
        [
          'non-integer item',
          '/assessments',
          assessment('GAD-7', [0, 0.5, 0, 0, 0, 0, 0]),
          undefined,
        ],
        // Named by the object that holds it (`""`: the body), never by its own name (issue 8).
        ['unknown property', '/sessions', { ...session(1), mood: 'fine' }, ''],
        [
          'a time one day ahead',
          '/sessions',
          session(1, { heldAt: new Date(Date.now() + 86400000).toISOString() }),
          'heldAt',
        ],
        [
          'a time without offset',
          '/sessions',
          session(1, { heldAt: '2025-01-06T10:00:00' }),
          'heldAt',
        ],
        ['bad enum', '/sessions', session(1, { modality: 'telepathy' }), 'modality'],
        ['bad instrument', '/assessments', assessment('PHQ-10', [0]), 'instrument'],
        [
          'duration out of range',
          '/sessions',
          session(1, { durationMinutes: 241 }),
          'durationMinutes',
        ],
        ['missing field', '/missed-sessions', { kind: 'did_not_attend' }, 'scheduledAt'],
        ['wrong type', '/withdrawal', { withdrawnAt: 12, reason: 'moved' }, 'withdrawnAt'],
        ['a JSON array body', '/completion', [1, 2], undefined],
        ['malformed JSON', '/completion', '{"completedAt": ', undefined],
      ];

      it.each(cases)('%s', async (_what, suffix, body, field) => {
        const course = await CourseDriver.enroll(clinician);
        const answer = await clinician.post(course.path(suffix), body);
        expect(answer.status).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ status: 400, code: 'validation_failed' });
        if (field !== undefined)
          expect(answer.body.errors).toEqual(
            expect.arrayContaining([expect.objectContaining({ field })]),
          );
        expect(await eventCount(course)).toBe(1);
      });

      it('enrollment: bad plannedSessions, short override reason, missing screening answer', async () => {
        for (const [body, field] of [
          [enrollment({ plannedSessions: 11 }), 'plannedSessions'],
          [enrollment({ plannedSessions: 12.5 }), 'plannedSessions'],
          [enrollment({ override: { reason: 'short' } }), 'override.reason'],
          [enrollment({ screening: { psychosis: false } }), 'screening.bipolarDisorder'],
          [enrollment({ courseId: 'not-a-uuid' }), 'courseId'],
          [enrollment({ patientRef: '' }), 'patientRef'],
        ] as const) {
          const answer = await clinician.post('/v1/courses', body);
          expect(answer.status).toBe(400);
          expect(answer.body.errors).toEqual(
            expect.arrayContaining([expect.objectContaining({ field })]),
          );
          // Validation messages never echo what was sent (it may be PHI).
          expect(JSON.stringify(answer.body)).not.toContain(
            (body as { patientRef: string }).patientRef || '\u0000',
          );
        }
      });

      it('lists every stateless problem of a body in one answer: shape, enumeration, time and item count (decision 13)', async () => {
        const course = await CourseDriver.enroll(clinician);
        const inAnHour = new Date(Date.now() + 3600_000).toISOString();
        const fieldsOf = (answer: HttpAnswer) =>
          (answer.body.errors as { field: string }[]).map((e) => e.field).sort();

        const form = await clinician.post(
          course.path('/assessments'),
          assessment('PHQ-9', [0, 1, 2, 0, 1, 2, 0, 1], {
            timepoint: 'weekly', // not an enumerated timepoint (the DTO)
            administeredAt: inAnHour, // rule 14 (the domain)
          }),
        );
        expect([form.status, form.body.code]).toEqual([400, 'validation_failed']);
        expect(fieldsOf(form)).toEqual(['administeredAt', 'items', 'timepoint']);

        const secret = `MRN-${randomUUID()}`.padEnd(80, 'x'); // too long, and PHI
        const enroll = await clinician.post(
          '/v1/courses',
          enrollment({
            patientRef: secret, // length (the domain)
            plannedSessions: 20, // rule 3 (the domain)
            enrolledAt: inAnHour, // rule 14 (the domain)
            screening: { ...NEGATIVE_SCREEN, psychosis: 'no' }, // type (the DTO)
            colour: 'blue', // unknown property (the DTO)
          }),
        );
        expect([enroll.status, enroll.body.code]).toEqual([400, 'validation_failed']);
        expect(fieldsOf(enroll)).toEqual([
          '', // the body holds an unknown property, not named (issue 8)
          'enrolledAt',
          'patientRef',
          'plannedSessions',
          'screening.psychosis',
        ]);
        // Each field once, and no message repeats what was sent.
        expect(new Set(fieldsOf(enroll)).size).toBe(fieldsOf(enroll).length);
        expect(JSON.stringify(enroll.body)).not.toContain(secret.slice(0, 12));
        expect(JSON.stringify(enroll.body)).not.toContain('colour');
        expect(JSON.stringify([form.body, enroll.body])).not.toContain(inAnHour);
        expect(await eventCount(course)).toBe(1);
      });

      it('path, query and header values', async () => {
        const course = await CourseDriver.enroll(clinician);
        const auditor = clinician.as(tokenFor(clinicId, ['auditor']));
        const answers = await Promise.all([
          clinician.post('/v1/courses/not-a-uuid/sessions', session(1)),
          clinician.get('/v1/courses?limit=0'),
          clinician.get('/v1/courses?limit=501'),
          clinician.get('/v1/courses?status=paused'),
          clinician.get('/v1/courses?cursor=garbage'),
          clinician.get('/v1/courses?colour=blue'),
          clinician.get(course.path(), { 'x-min-revision': 'soon' }),
          clinician.post(course.path('/sessions'), session(1), {
            'idempotency-key': 'k'.repeat(129),
          }),
          clinician.post(course.path('/sessions'), session(1), { 'if-match': 'three' }),
          auditor.get(course.path('/state')),
          auditor.get(course.path('/state?revision=-1')),
          auditor.get(course.path('/state?revision=7')),
          auditor.get(course.path('/state?asOf=yesterday')),
        ]);
        for (const answer of answers) {
          expect(answer.status).toBe(400);
          expect(answer.body.code).toBe('validation_failed');
        }
        expect(await eventCount(course)).toBe(1);
      });
    });

    describe('authentication, roles and tenancy', () => {
      it('answers 401 without a valid token', async () => {
        const course = await CourseDriver.enroll(clinician);
        const anonymous = clinician.as(undefined);
        const forged = clinician.as(
          tokenFor(clinicId, ['clinician']).replace(
            /\.[^.]+$/,
            '.' + Buffer.from('forged').toString('base64url'),
          ),
        );
        const expired = clinician.as(tokenFor(clinicId, ['clinician'], 'late', -10));
        for (const client of [anonymous, forged, expired]) {
          const answer = await client.get(course.path());
          expect(answer.status).toBe(401);
          expect(answer.body.code).toBe('unauthorized');
          expect((await client.post(course.path('/sessions'), session(1))).status).toBe(401);
        }
        const wrongScheme = await clinician.get(course.path(), { authorization: 'Basic abc' });
        expect(wrongScheme.status).toBe(401);
      });

      it('answers 403 to a role that may not use the route', async () => {
        const course = await CourseDriver.enroll(clinician);
        type Who = 'auditor' | 'analyst' | 'admin' | 'clinician' | 'privacy_officer';
        const as = (role: Who) => clinician.as(tokenFor(clinicId, [role]));
        const expectations: [role: Who, method: 'get' | 'post', route: string, status: number][] = [
          ['auditor', 'post', course.path('/sessions'), 403],
          ['auditor', 'post', '/v1/courses', 403],
          ['auditor', 'get', course.path('/history'), 200],
          ['auditor', 'get', course.path('/state?revision=0'), 200],
          ['analyst', 'get', course.path(), 403],
          ['analyst', 'get', course.path('/outcomes'), 403],
          ['analyst', 'get', course.path('/history'), 403],
          ['analyst', 'get', '/v1/courses', 403],
          ['analyst', 'post', course.path('/sessions'), 403],
          ['analyst', 'get', `/v1/clinics/${clinicId}/summary`, 200],
          ['admin', 'get', course.path(), 403],
          ['admin', 'post', course.path('/sessions'), 403],
          ['admin', 'get', '/v1/admin/projections', 200],
          ['clinician', 'get', '/v1/admin/projections', 403],
          ['clinician', 'post', '/v1/admin/projections/course-completion/rebuild', 403],
          // privacy.md: the privacy officer erases and reads course views, nothing else.
          ['privacy_officer', 'get', course.path(), 200],
          ['privacy_officer', 'get', course.path('/outcomes'), 200],
          ['privacy_officer', 'get', '/v1/courses', 200],
          ['privacy_officer', 'get', course.path('/history'), 403],
          ['privacy_officer', 'get', course.path('/fhir'), 403],
          ['privacy_officer', 'post', course.path('/sessions'), 403],
          ['privacy_officer', 'get', `/v1/clinics/${clinicId}/summary`, 403],
          ['privacy_officer', 'get', '/v1/admin/projections', 403],
          ['clinician', 'post', course.path('/erasure'), 403],
          ['auditor', 'post', course.path('/erasure'), 403],
          ['analyst', 'post', course.path('/erasure'), 403],
          ['admin', 'post', course.path('/erasure'), 403],
        ];
        for (const [role, method, route, status] of expectations) {
          const answer =
            method === 'get' ? await as(role).get(route) : await as(role).post(route, session(1));
          expect({ role, method, route, status: answer.status }).toEqual({
            role,
            method,
            route,
            status,
          });
          if (status === 403) expect(answer.body.code).toBe('forbidden');
        }
        expect(await eventCount(course)).toBe(1);
      });

      it('answers a course of another clinic exactly like a missing one, on every route', async () => {
        const course = await CourseDriver.enroll(clinician);
        const raised = await course.send(
          '/assessments',
          assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 1]),
        );
        await course.view();
        const otherClinic = newClinic();
        const stranger = clinician.as(tokenFor(otherClinic, ['clinician', 'auditor']));
        const missing = new CourseDriver(stranger, randomUUID());
        const foreign = new CourseDriver(stranger, course.courseId);
        const commands: [string, unknown][] = [
          ['/problem-area', { area: 'grief' }],
          ['/sessions', session(1)],
          ['/missed-sessions', { scheduledAt: day(1), kind: 'did_not_attend' }],
          ['/homework', homework('h')],
          ['/homework/h/submission', { submittedAt: day(2) }],
          ['/assessments', assessment('GAD-7', [0, 0, 0, 0, 0, 0, 0])],
          [`/risk-flags/${raised.body.riskFlagId}/resolution`, { disposition: 'no_current_risk' }],
          ['/withdrawal', { withdrawnAt: day(1), reason: 'moved' }],
          ['/completion', { completedAt: day(1) }],
          [
            `/assessments/${randomUUID()}/correction`,
            { items: [0, 0, 0, 0, 0, 0, 0, 0, 0], reason: 'a wrong entry here' },
          ],
        ];
        for (const [suffix, body] of commands) {
          const a = await foreign.attempt(suffix, body);
          const b = await missing.attempt(suffix, body);
          expect({ suffix, status: a.status, code: a.body.code }).toEqual({
            suffix,
            status: 404,
            code: 'course_not_found',
          });
          expect({ suffix, status: b.status, code: b.body.code }).toEqual({
            suffix,
            status: 404,
            code: 'course_not_found',
          });
          expect(a.body.detail).toBe(b.body.detail);
        }
        for (const suffix of ['', '/outcomes', '/history', '/state?revision=0']) {
          const a = await stranger.get(foreign.path(suffix));
          const b = await stranger.get(missing.path(suffix));
          expect({ suffix, status: a.status, code: a.body.code }).toEqual({
            suffix,
            status: 404,
            code: 'course_not_found',
          });
          expect(b.status).toBe(404);
        }
        const waited = await stranger.get(foreign.path(), { 'x-min-revision': '99' });
        expect(waited.status).toBe(404);
        expect((await stranger.get(`/v1/clinics/${clinicId}/summary`)).status).toBe(403);
        expect(await eventCount(course)).toBe(raised.body.revision + 1);
      });
    });

    describe('idempotency keys, If-Match and concurrent writers', () => {
      it('a retried command with the same Idempotency-Key appends nothing and gets the first answer', async () => {
        const body = enrollment();
        const key = { 'idempotency-key': `enroll-${randomUUID()}` };
        const first = await clinician.post('/v1/courses', body, key);
        const retry = await clinician.post('/v1/courses', body, key);
        expect(first.status).toBe(201);
        expect(retry.status).toBe(201);
        expect(retry.body).toEqual(first.body);
        const course = new CourseDriver(clinician, body.courseId as string);

        const form = assessment('PHQ-9', [1, 1, 1, 1, 1, 1, 1, 1, 1]);
        const formKey = { 'idempotency-key': `form-${randomUUID()}` };
        const answers = await Promise.all(
          [1, 2, 3, 4, 5].map(() => clinician.post(course.path('/assessments'), form, formKey)),
        );
        for (const answer of answers) {
          expect(answer.status).toBe(200);
          expect(answer.body).toEqual(answers[0].body);
        }
        expect(answers[0].body).toMatchObject({
          total: 9,
          severity: 'mild',
          riskFlagId: expect.any(String),
        });
        const history = await clinician.get(course.path('/history'));
        expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
          'PatientEnrolled',
          'AssessmentRecorded',
          'RiskFlagRaised',
        ]);
        expect(history.body.events[1].metadata.idempotencyKey).toBe(formKey['idempotency-key']);
      });

      it('the same key with a different body is refused with idempotency_key_reused', async () => {
        const course = await CourseDriver.enroll(clinician);
        const key = { 'idempotency-key': `s-${randomUUID()}` };
        expectAccepted(
          await clinician.post(course.path('/sessions'), session(1), key),
          'first session',
        );
        const changed = await clinician.post(
          course.path('/sessions'),
          session(1, { durationMinutes: 45 }),
          key,
        );
        expect(changed.status).toBe(422);
        expect(changed.body.code).toBe('idempotency_key_reused');
        const otherCourse = await CourseDriver.enroll(clinician);
        const elsewhere = await clinician.post(otherCourse.path('/sessions'), session(1), key);
        expect(elsewhere.status).toBe(422);
        expect(elsewhere.body.code).toBe('idempotency_key_reused');
        expect(await eventCount(course)).toBe(2);
        expect(await eventCount(otherCourse)).toBe(1);
        // Keys belong to a clinic: another clinic may use the same key.
        const neighbour = clinician.as(tokenFor(newClinic(), ['clinician']));
        expect((await neighbour.post('/v1/courses', enrollment(), key)).status).toBe(201);
      });

      it('If-Match applies the command only at that revision (412 revision_mismatch otherwise)', async () => {
        const course = await CourseDriver.enroll(clinician);
        await course.holdSessions(1, 1);
        const stale = await course.attempt('/sessions', session(2), { 'if-match': '"0"' });
        expect(stale.status).toBe(412);
        expect(stale.body.code).toBe('revision_mismatch');
        // 412 comes before any domain rule.
        const staleAndWrong = await course.attempt('/sessions', session(9), { 'if-match': '"0"' });
        expect(staleAndWrong.status).toBe(412);
        expect(await eventCount(course)).toBe(2);
        const current = await course.attempt('/sessions', session(2), { 'if-match': '"1"' });
        expect(current.status).toBe(200);
        expect(current.headers.get('etag')).toBe('"2"');
        // The ETag may come back weak from a proxy: W/"2" names the same revision.
        const weak = await course.attempt('/sessions', session(3), { 'if-match': 'W/"2"' });
        expect(weak.status).toBe(200);
      });

      it('records the caller’s X-Correlation-Id, and the command as the cause, in every event’s metadata', async () => {
        const course = await CourseDriver.enroll(clinician);
        const answer = await course.attempt(
          '/assessments',
          assessment('PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 2]),
          {
            'x-correlation-id': 'referral-7731.step-2',
          },
        );
        expect(answer.status).toBe(200);
        const events = (await clinician.get(course.path('/history'))).body.events.slice(1);
        expect(events.map((e: { type: string }) => e.type)).toEqual([
          'AssessmentRecorded',
          'RiskFlagRaised',
        ]);
        for (const event of events) {
          expect(event.metadata.correlationId).toBe('referral-7731.step-2');
          expect(event.metadata.causationId).toBe(events[0].metadata.commandId);
        }
        const bad = await course.attempt('/sessions', session(1), {
          'x-correlation-id': 'has spaces',
        });
        expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
      });

      it('20 concurrent commands for the same session: exactly one accepted, the others 409, no gap', async () => {
        const course = await CourseDriver.enroll(clinician);
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            course.attempt('/sessions', session(1, { durationMinutes: 30 + i })),
          ),
        );
        const statuses = answers.map((a) => a.status).sort();
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.filter((s) => s === 409)).toHaveLength(19);
        for (const answer of answers.filter((a) => a.status === 409))
          expect(answer.body.code).toBe('session_out_of_order');
        const history = await clinician.get(course.path('/history'));
        expect(history.body.events.map((e: { revision: number }) => e.revision)).toEqual([0, 1]);
        expect(history.body.events[1].type).toBe('SessionHeld');
      });

      it('concurrent commands on one hot course: each decided on what the ones before it left, one chained history', async () => {
        const course = await CourseDriver.enroll(clinician);
        const missed = (i: number) =>
          course.attempt('/missed-sessions', {
            scheduledAt: day(2 + (i % 20)),
            kind: 'did_not_attend',
          });
        // 60 commands at once: the ones queued behind a running one are decided and appended
        // together; a withdrawal among them closes the course for every command after it.
        const answers = await Promise.all([
          ...Array.from({ length: 30 }, (_, i) => missed(i)),
          course.attempt('/withdrawal', { withdrawnAt: day(30), reason: 'moved' }),
          ...Array.from({ length: 29 }, (_, i) => missed(30 + i)),
        ]);
        const history = (await clinician.get(course.path('/history'))).body.events as any[];
        const withdrawal = answers[30];
        expect(withdrawal.status).toBe(200);
        // Every accepted command got its own revision, the withdrawal's last of all.
        const accepted = answers.filter((a) => a.status === 200);
        const revisions = accepted.map((a) => a.body.revision).sort((a, b) => a - b);
        expect(revisions).toEqual(Array.from({ length: accepted.length }, (_, i) => i + 1));
        expect(withdrawal.body.revision).toBe(accepted.length);
        for (const refused of answers.filter((a) => a.status !== 200))
          expect([refused.status, refused.body.code]).toEqual([409, 'course_closed']);
        expect(history.map((e) => e.type)).toEqual([
          'PatientEnrolled',
          ...Array(accepted.length - 1).fill('SessionMissed'),
          'PatientWithdrawn',
        ]);
        expect(history.slice(1).map((e) => e.metadata.prevHash)).toEqual(
          history.slice(0, -1).map((e) => e.metadata.hash),
        );
        // Each command's events carry its own correlation: one command id per event here.
        expect(new Set(history.map((e) => e.metadata.commandId)).size).toBe(history.length);
        // And they did queue up: some appends recorded more than one command.
        const metrics = (await clinician.as(undefined).get('/metrics')).body as string;
        const appends = Number(/^ipt_commands_per_append_count (\d+)/m.exec(metrics)?.[1]);
        const commands = Number(/^ipt_commands_per_append_sum (\d+)/m.exec(metrics)?.[1]);
        expect(commands).toBeGreaterThan(appends);
      });

      it('concurrent commands of another clinic on a busy course: each answered as for a missing course, none recorded', async () => {
        const course = await CourseDriver.enroll(clinician);
        const stranger = clinician.as(tokenFor(newClinic(), ['clinician']));
        const foreign = new CourseDriver(stranger, course.courseId);
        const body = (i: number) => ({ scheduledAt: day(2 + i), kind: 'did_not_attend' });
        // Sent at once with the clinic's own: the stranger's queue up behind an append in flight
        // and are taken together, as a batch of their own.
        const fromStranger = (i: number) => i >= 10 && i < 30;
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (fromStranger(i) ? foreign : course).attempt('/missed-sessions', body(i)),
          ),
        );
        const missing = await new CourseDriver(stranger, randomUUID()).attempt(
          '/missed-sessions',
          body(0),
        );
        expect(missing.status).toBe(404);
        const own = answers.filter((_, i) => !fromStranger(i));
        const strangers = answers.filter((_, i) => fromStranger(i));
        expect(own.map((a) => a.status)).toEqual(Array(20).fill(200));
        for (const answer of strangers)
          expect([answer.status, answer.body.code, answer.body.detail]).toEqual([
            404,
            'course_not_found',
            missing.body.detail,
          ]);
        expect(await eventCount(course)).toBe(21);
      });

      it('X-Min-Revision waits for the projection and gives up with 503 after 5 s', async () => {
        const course = await CourseDriver.enroll(clinician);
        const written = await course.send('/sessions', session(1));
        const read = await clinician.get(course.path(), {
          'x-min-revision': String(written.body.revision),
        });
        expect(read.status).toBe(200);
        expect(read.body.revision).toBeGreaterThanOrEqual(written.body.revision);
        const future = await clinician.get(course.path(), { 'x-min-revision': '50' });
        expect(future.status).toBe(503);
        expect(future.headers.get('retry-after')).toBeTruthy();
      }, 15000);
    });

    describe('operations', () => {
      it('serves health, metrics, OpenAPI and AsyncAPI, and answers unknown routes with problem+json', async () => {
        const anonymous = clinician.as(undefined);
        expect((await anonymous.get('/health/live')).status).toBe(200);
        const ready = await anonymous.get('/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.body.checks.eventStore).toBe('up');
        const metrics = await anonymous.get('/metrics');
        expect(metrics.status).toBe(200);
        expect(metrics.body).toContain(
          'ipt_projection_events_applied_total{projection="course-completion"}',
        );
        const openapi = await anonymous.get('/docs-json');
        expect(openapi.body.paths).toHaveProperty('/v1/courses/{courseId}/sessions');
        expect((await anonymous.get('/asyncapi.json')).body.asyncapi).toBe('3.0.0');
        const tooLarge = await clinician.post('/v1/courses', { padding: 'x'.repeat(1100 * 1024) });
        expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'payload_too_large']);
        const xml = await clinician.post('/v1/courses', '<course/>', {
          'content-type': 'application/xml',
        });
        expect([xml.status, xml.body.code]).toEqual([415, 'unsupported_media_type']);
        const unknown = await anonymous.get('/v2/nothing');
        expect(unknown.status).toBe(404);
        expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      });
    });

    describe('the audit ledger', () => {
      it('chains each event as stored and proves the course against a signed checkpoint', async () => {
        const course = await CourseDriver.enroll(clinician);
        await course.holdSessions(1, 3);
        const auditor = clinician.as(tokenFor(clinicId, ['auditor']));
        const history = (await auditor.get(course.path('/history'))).body.events as any[];
        expect(history[0].metadata.prevHash).toBe('0'.repeat(64));
        expect(history.slice(1).map((e) => e.metadata.prevHash)).toEqual(
          history.slice(0, -1).map((e) => e.metadata.hash),
        );
        let verification: any;
        await waitFor(
          async () => {
            verification = (await auditor.get(course.path('/verification'))).body;
            return verification.pending === 0;
          },
          10000,
          () => `a checkpoint covering the course: ${JSON.stringify(verification)}`,
        );
        expect(verification).toMatchObject({
          valid: true,
          included: true,
          brokenAtRevision: null,
          events: history.length,
        });
        const bundle = (await auditor.get(course.path('/audit-bundle'))).body;
        const key = readPublicKey((await auditor.get('/v1/audit/public-key')).body);
        const report = verifyBundle(bundle, { publicKey: key });
        expect(report.checks.filter((c) => !c.ok)).toEqual([]);
        expect(report.valid).toBe(true);
        const openapi = (await auditor.get('/docs-json')).body;
        for (const route of [
          '/v1/courses/{courseId}/verification',
          '/v1/courses/{courseId}/audit-bundle',
          '/v1/audit/checkpoints/latest',
          '/v1/audit/checkpoints',
          '/v1/audit/consistency',
          '/v1/audit/public-key',
        ])
          expect(openapi.paths).toHaveProperty([route]);
      });
    });
  });

  describe(`restart, crash and rebuild on ${storeName}`, () => {
    let app: LedgerApp;

    beforeAll(async () => {
      await store.start?.();
    });

    afterAll(async () => {
      await app?.stop();
      await store.stop?.();
    });

    it('views after a restart and after a kill -9 equal the views before; a rebuild equals the incremental result', async () => {
      app = await startLedgerApp({ env: store.env() });
      const dataDir = app.dataDir;
      const clinicId = newClinic();
      const clinician = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor']));
      const courses: CourseDriver[] = [];
      for (let i = 0; i < 6; i++) {
        const course = await CourseDriver.enroll(clinician);
        await course.holdSessions(1, 1 + i);
        await course.send(
          '/assessments',
          assessment('PHQ-9', [2, 2, 2, 2, 2, 2, 2, 2, 0], { timepoint: 'baseline' }),
        );
        await course.send(
          '/assessments',
          assessment('PHQ-9', [i % 4, 1, 1, 0, 0, 0, 0, 0, 0], {
            timepoint: 'end',
            administeredAt: day(7 * i, 11),
          }),
        );
        if (i % 3 === 0) await course.send('/completion', { completedAt: day(7 * i, 12) });
        if (i % 3 === 1)
          await course.send('/withdrawal', {
            withdrawnAt: day(7 * i, 12),
            reason: 'lost_to_contact',
          });
        courses.push(course);
      }
      const snapshot = async (client: LedgerClient) => {
        const views = [];
        for (const course of courses) {
          const driver = new CourseDriver(client, course.courseId);
          driver.revision = course.revision;
          views.push(await driver.view(), await driver.view('/outcomes'));
        }
        const list = await client.get('/v1/courses?limit=500');
        const summary = await client.get(`/v1/clinics/${clinicId}/summary`);
        return { views, list: list.body, summary: summary.body };
      };
      const before = await snapshot(clinician);
      expect(before.summary.courses).toEqual({ total: 6, active: 2, completed: 2, withdrawn: 2 });

      await app.stop('SIGTERM');
      app = await startLedgerApp({ env: store.env(), dataDir });
      const afterRestart = await snapshot(
        new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor'])),
      );
      expect(afterRestart).toEqual(before);

      // A command acknowledged just before a crash survives it.
      const last = new CourseDriver(
        new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician'])),
        courses[2].courseId,
      );
      last.revision = courses[2].revision;
      const acknowledged = await last.send('/missed-sessions', {
        scheduledAt: day(30),
        kind: 'did_not_attend',
      });
      await app.stop('SIGKILL');
      app = await startLedgerApp({ env: store.env(), dataDir });
      const client = new LedgerClient(app.baseUrl, tokenFor(clinicId, ['clinician', 'auditor']));
      const history = await client.get(last.path('/history'));
      expect(history.body.events[history.body.events.length - 1]).toMatchObject({
        revision: acknowledged.body.revision,
        type: 'SessionMissed',
      });
      courses[2].revision = acknowledged.body.revision;
      const afterCrash = await snapshot(client);
      expect(afterCrash.views.filter((_, i) => i !== 4 && i !== 5)).toEqual(
        before.views.filter((_, i) => i !== 4 && i !== 5),
      );

      const admin = client.as(tokenFor(clinicId, ['admin']));
      for (const name of ['course-completion', 'course-outcomes', 'clinic-summary']) {
        const rebuild = await admin.post(`/v1/admin/projections/${name}/rebuild`, {});
        expect(rebuild.status).toBe(202);
      }
      const deadline = Date.now() + 20000;
      for (;;) {
        const status = await admin.get('/v1/admin/projections');
        const projections = status.body.projections as {
          state: string;
          rebuild: { state: string } | null;
        }[];
        if (projections.every((p) => p.state === 'live' && p.rebuild?.state === 'done')) break;
        if (Date.now() > deadline)
          throw new Error(`projections were not rebuilt: ${JSON.stringify(status.body)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await snapshot(client)).toEqual(afterCrash);
      expect((await admin.post('/v1/admin/projections/no-such/rebuild', {})).status).toBe(404);
    }, 120000);
  });
}
