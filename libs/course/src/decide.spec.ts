import type { CourseCommand } from './commands';
import { assessmentAnswer } from './decide';
import { CourseRuleViolation } from './errors';
import { evolve, initialCourseState } from './evolve';
import {
  COURSE_ID,
  ENROLLED_AT,
  PATIENT_REF,
  assessed,
  at,
  commands,
  completed,
  enrolled,
  erased,
  flagRaised,
  flagResolved,
  held,
  heldSessions,
  homeworkAssigned,
  homeworkSubmitted,
  problemAreaSelected,
  sessionTime,
  withdrawn,
} from './testing/fixtures';
import { NOW, given, nthId, testContext } from './testing/given';

const A1 = 'a1a1a1a1-0000-4000-8000-000000000001';
const A2 = 'a2a2a2a2-0000-4000-8000-000000000002';
const PHQ_ZERO = [0, 0, 0, 0, 0, 0, 0, 0, 0];
const PHQ_RISK = [2, 2, 2, 1, 1, 1, 0, 0, 2]; // total 11, item 9 = 2
const inFuture = (ms: number): string => new Date(NOW.getTime() + ms).toISOString();

describe('decide', () => {
  describe('enrollment', () => {
    it('enrolls a patient with a fresh subjectId and keeps patientRef in phi', () => {
      given()
        .when(commands.enroll({ enrolledAt: '2025-01-06T10:00:00+01:00', plannedSessions: 14 }))
        .then([
          enrolled({
            subjectId: nthId(1),
            plannedSessions: 14,
            enrolledAt: ENROLLED_AT,
          }),
        ]);
    });

    it('defaults plannedSessions to 16', () => {
      const [e] = given()
        .when(commands.enroll({ plannedSessions: undefined }))
        .events();
      expect(e.type === 'PatientEnrolled' && e.data.plannedSessions).toBe(16);
    });

    it('rule 1: a second enrollment of the same course is rejected with course_exists', () => {
      const error = given(enrolled()).when(commands.enroll()).thenThrows('course_exists');
      expect(error.kind).toBe('conflict');
      expect(error.rule).toBe(1);
    });

    it('rule 1: any other command on a course that does not exist is not found', () => {
      const cmds: CourseCommand[] = [
        commands.session(1),
        commands.missed(sessionTime(1)),
        commands.problemArea('grief'),
        commands.assignHomework('hw-1', 1),
        commands.submitHomework('hw-1', sessionTime(2)),
        commands.assess(A1, 'PHQ-9', PHQ_ZERO),
        commands.resolveFlag('f-1'),
        commands.withdraw(sessionTime(2)),
        commands.complete(sessionTime(2)),
        commands.correct(A1, PHQ_ZERO),
      ];
      for (const c of cmds) {
        const error = given().when(c).thenThrows('course_not_found');
        expect(error.kind).toBe('not_found');
      }
    });

    it('rule 2: a positive screen without override is rejected as ineligible, naming the criteria', () => {
      const error = given()
        .when(
          commands.enroll({
            screening: {
              psychosis: true,
              bipolarDisorder: false,
              primarySubstanceUse: false,
              acuteSuicideRisk: true,
            },
          }),
        )
        .thenThrows('ineligible');
      expect(error.kind).toBe('ineligible');
      expect(error.criteria).toEqual(['psychosis', 'acuteSuicideRisk']);
    });

    it('rule 2: an override with a reason records the criteria and the override (reason in phi)', () => {
      const screening = {
        psychosis: false,
        bipolarDisorder: true,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      };
      given()
        .when(
          commands.enroll({ screening, override: { reason: 'Euthymic for 3 years on lithium' } }),
        )
        .then([
          enrolled({
            subjectId: nthId(1),
            screening,
            positiveCriteria: ['bipolarDisorder'],
            screenOverridden: true,
            phi: { patientRef: PATIENT_REF, overrideReason: 'Euthymic for 3 years on lithium' },
          }),
        ]);
    });

    it('rule 2: override.reason must be 10–500 characters', () => {
      const screening = {
        psychosis: true,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      };
      for (const reason of ['too short', ' '.repeat(12), 'x'.repeat(501)]) {
        const error = given()
          .when(commands.enroll({ screening, override: { reason } }))
          .thenThrows('validation_failed');
        expect(error.errors).toEqual([
          { field: 'override.reason', message: 'must be 10–500 characters' },
        ]);
      }
      given()
        .when(commands.enroll({ screening, override: { reason: 'x'.repeat(500) } }))
        .events();
    });

    it('rule 2: an override of a negative screen overrides nothing and keeps no reason', () => {
      const [e] = given()
        .when(commands.enroll({ override: { reason: 'Just in case, see notes' } }))
        .events();
      expect(e.type === 'PatientEnrolled' && e.data).toMatchObject({
        screenOverridden: false,
        positiveCriteria: [],
        phi: { patientRef: PATIENT_REF },
      });
    });

    it.each([11, 17, 12.5, '14', null as unknown as number])(
      'rule 3: plannedSessions %p is rejected (integer 12–16)',
      (plannedSessions) => {
        if (plannedSessions === null) {
          // JSON null means "not given": the default applies.
          expect(given().when(commands.enroll({ plannedSessions })).events()).toHaveLength(1);
          return;
        }
        const error = given()
          .when(commands.enroll({ plannedSessions: plannedSessions as number }))
          .thenThrows('validation_failed');
        expect(error.errors.map((e) => e.field)).toEqual(['plannedSessions']);
      },
    );

    it.each([12, 16])('rule 3: plannedSessions %i is accepted', (plannedSessions) => {
      expect(given().when(commands.enroll({ plannedSessions })).events()).toHaveLength(1);
    });

    it('reports every stateless problem at once, without any value from the command', () => {
      const error = given()
        .when(
          commands.enroll({
            courseId: 'not-a-uuid',
            patientRef: '',
            enrolledAt: '06/01/2025',
            screening: { psychosis: 'no' } as never,
          }),
        )
        .thenThrows('validation_failed');
      expect(error.errors.map((e) => e.field)).toEqual([
        'courseId',
        'patientRef',
        'enrolledAt',
        'screening.psychosis',
        'screening.bipolarDisorder',
        'screening.primarySubstanceUse',
        'screening.acuteSuicideRisk',
      ]);
      expect(JSON.stringify(error.errors) + error.message).not.toContain('06/01/2025');
    });

    it('never puts PHI in an error message', () => {
      const error = given(enrolled()).when(commands.enroll()).thenThrows('course_exists');
      expect(error.message).not.toContain(PATIENT_REF);
      const screening = {
        psychosis: true,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      };
      const ineligible = given()
        .when(commands.enroll({ screening, patientRef: 'SECRET-REF' }))
        .thenThrows('ineligible');
      expect(ineligible.message).not.toContain('SECRET-REF');
    });
  });

  describe('rule 4: closed courses', () => {
    const closedBy = { withdrawn: withdrawn('moved'), completed: completed() };

    it.each(Object.entries(closedBy))(
      'rule 4: after the course is %s, sessions, missed sessions, homework, problem areas and a terminal event are rejected with course_closed',
      (_, terminal) => {
        const history = [enrolled(), held(1), homeworkAssigned('hw-1', 1), terminal];
        const refused: CourseCommand[] = [
          commands.session(2),
          commands.missed(sessionTime(2)),
          commands.assignHomework('hw-2', 1),
          commands.submitHomework('hw-1', sessionTime(2)),
          commands.problemArea('grief'),
          commands.withdraw(at(ENROLLED_AT, 130)),
          commands.complete(at(ENROLLED_AT, 130)),
          commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'end', at(ENROLLED_AT, 130)),
        ];
        for (const c of refused) {
          const error = given(...history)
            .when(c)
            .thenThrows('course_closed');
          expect(error.kind).toBe('conflict');
        }
      },
    );

    it('rule 4: a follow-up assessment is accepted after closing', () => {
      const events = given(enrolled(), held(1), completed())
        .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'follow_up', at(ENROLLED_AT, 140)))
        .events();
      expect(events.map((e) => e.type)).toEqual(['AssessmentRecorded']);
    });

    it('rule 4: a follow-up assessment is rejected while the course is active', () => {
      given(enrolled(), held(1))
        .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'follow_up', sessionTime(2)))
        .thenThrows('follow_up_requires_closed_course');
    });

    it('rule 4: a risk flag can still be resolved after closing', () => {
      given(
        enrolled(),
        assessed(A1, 'PHQ-9', PHQ_RISK),
        flagRaised('f-1', A1),
        withdrawn('clinical_escalation'),
      )
        .when(commands.resolveFlag('f-1', 'crisis_referral', 'Referred to the crisis team'))
        .then([
          {
            type: 'RiskFlagResolved',
            data: {
              courseId: COURSE_ID,
              flagId: 'f-1',
              disposition: 'crisis_referral',
              resolvedAt: NOW.toISOString(),
              phi: { note: 'Referred to the crisis team' },
            },
          },
        ]);
    });

    it('rule 16: a correction is accepted after closing', () => {
      const events = given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO), held(1), completed())
        .when(commands.correct(A1, [1, 0, 0, 0, 0, 0, 0, 0, 0]))
        .events();
      expect(events.map((e) => e.type)).toEqual(['AssessmentCorrected']);
    });
  });

  describe('rule 5: sessions held', () => {
    it('records the next session with its time in UTC', () => {
      given(enrolled(), held(1))
        .when({
          type: 'RecordSessionHeld',
          data: {
            courseId: COURSE_ID,
            sessionNumber: 2,
            heldAt: '2025-01-13T11:00:00+01:00',
            durationMinutes: 45,
            modality: 'phone',
          },
        })
        .then([
          {
            type: 'SessionHeld',
            data: {
              courseId: COURSE_ID,
              sessionNumber: 2,
              heldAt: '2025-01-13T10:00:00.000Z',
              durationMinutes: 45,
              modality: 'phone',
            },
          },
        ]);
    });

    it('rule 5: a session out of order is rejected with session_out_of_order', () => {
      given(enrolled(), held(1)).when(commands.session(3)).thenThrows('session_out_of_order');
      given(enrolled(), held(1)).when(commands.session(1)).thenThrows('session_out_of_order');
    });

    it('rule 5: no more than plannedSessions sessions are held (session_limit_reached)', () => {
      const twelve = [enrolled({ plannedSessions: 12 }), ...heldSessions(12)];
      given(...twelve)
        .when(commands.session(13))
        .thenThrows('session_limit_reached');
      expect(
        given(...twelve.slice(0, 12))
          .when(commands.session(12))
          .events(),
      ).toHaveLength(1);
    });

    it('rule 5: a session before enrollment is rejected with time_out_of_order', () => {
      given(enrolled())
        .when(commands.session(1, at(ENROLLED_AT, 0, -1)))
        .thenThrows('time_out_of_order');
      // At the very instant of enrollment is fine.
      expect(given(enrolled()).when(commands.session(1, ENROLLED_AT)).events()).toHaveLength(1);
    });

    it('rule 5: a session not strictly after the previous one is rejected with time_out_of_order', () => {
      given(enrolled(), held(1))
        .when(commands.session(2, sessionTime(1)))
        .thenThrows('time_out_of_order');
      // The same instant written in another offset is still the same instant.
      given(enrolled(), held(1, '2025-01-13T10:00:00.000Z'))
        .when(commands.session(2, '2025-01-13T12:00:00+02:00'))
        .thenThrows('time_out_of_order');
    });

    it('validates durationMinutes (1–240) and modality', () => {
      const error = given(enrolled())
        .when({
          type: 'RecordSessionHeld',
          data: {
            courseId: COURSE_ID,
            sessionNumber: 1,
            heldAt: sessionTime(1),
            durationMinutes: 0,
            modality: 'carrier_pigeon' as never,
          },
        })
        .thenThrows('validation_failed');
      expect(error.errors.map((e) => e.field)).toEqual(['durationMinutes', 'modality']);
    });
  });

  describe('rule 6: missed sessions', () => {
    it('records a missed session', () => {
      given(enrolled())
        .when(commands.missed('2025-01-13T10:00:00Z', 'cancelled_by_clinic'))
        .then([
          {
            type: 'SessionMissed',
            data: {
              courseId: COURSE_ID,
              scheduledAt: '2025-01-13T10:00:00.000Z',
              kind: 'cancelled_by_clinic',
            },
          },
        ]);
    });

    it('rule 6: a missed session scheduled before enrollment is rejected with time_out_of_order', () => {
      given(enrolled())
        .when(commands.missed('2025-01-06T08:59:59Z'))
        .thenThrows('time_out_of_order');
    });

    it('rejects an unknown kind', () => {
      given(enrolled())
        .when(commands.missed(sessionTime(1), 'forgot' as never))
        .thenThrows('validation_failed');
    });
  });

  describe('rule 7: problem areas', () => {
    it('selects the first area without a reason', () => {
      given(enrolled())
        .when(commands.problemArea('role_transition'))
        .then([
          {
            type: 'ProblemAreaSelected',
            data: { courseId: COURSE_ID, area: 'role_transition', previousArea: null, phi: {} },
          },
        ]);
    });

    it('rule 7: an area outside the four problem areas is a validation error', () => {
      const error = given(enrolled())
        .when(commands.problemArea('loneliness'))
        .thenThrows('validation_failed');
      expect(error.errors[0].field).toBe('area');
    });

    it('rule 7: selecting the area already selected is rejected with problem_area_unchanged', () => {
      given(enrolled(), problemAreaSelected('grief'))
        .when(commands.problemArea('grief', 'Still grief'))
        .thenThrows('problem_area_unchanged');
    });

    it('rule 7: changing a selected area without a reason is rejected with reason_required', () => {
      given(enrolled(), problemAreaSelected('grief'))
        .when(commands.problemArea('role_dispute'))
        .thenThrows('reason_required');
      given(enrolled(), problemAreaSelected('grief'))
        .when(commands.problemArea('role_dispute', '  '))
        .thenThrows('reason_required');
    });

    it('rule 7: changing with a reason records the previous area and the reason in phi', () => {
      given(enrolled(), problemAreaSelected('grief'))
        .when(commands.problemArea('role_dispute', 'The dispute with her partner dominates'))
        .then([
          {
            type: 'ProblemAreaSelected',
            data: {
              courseId: COURSE_ID,
              area: 'role_dispute',
              previousArea: 'grief',
              phi: { reason: 'The dispute with her partner dominates' },
            },
          },
        ]);
    });
  });

  describe('rule 8: homework', () => {
    it('assigns homework in a held session, description in phi', () => {
      given(enrolled(), held(1))
        .when(commands.assignHomework('hw-1', 1))
        .then([
          {
            type: 'HomeworkAssigned',
            data: {
              courseId: COURSE_ID,
              homeworkId: 'hw-1',
              sessionNumber: 1,
              dueAt: sessionTime(2),
              phi: { description: 'Talk to your sister about the move' },
            },
          },
        ]);
    });

    it('rule 8: a homework id used before is rejected with homework_exists', () => {
      given(enrolled(), held(1), homeworkAssigned('hw-1', 1))
        .when(commands.assignHomework('hw-1', 1))
        .thenThrows('homework_exists');
    });

    it('rule 8: homework for a session not yet held is rejected with session_not_held', () => {
      given(enrolled(), held(1))
        .when(commands.assignHomework('hw-1', 2))
        .thenThrows('session_not_held');
    });

    it('rule 8: a submission of unknown homework is rejected with homework_unknown', () => {
      given(enrolled(), held(1))
        .when(commands.submitHomework('hw-9', sessionTime(2)))
        .thenThrows('homework_unknown');
    });

    it('rule 8: a second submission is rejected with homework_already_submitted', () => {
      given(
        enrolled(),
        held(1),
        homeworkAssigned('hw-1', 1),
        homeworkSubmitted('hw-1', sessionTime(2)),
      )
        .when(commands.submitHomework('hw-1', sessionTime(2)))
        .thenThrows('homework_already_submitted');
    });

    it('rule 8: a submission before the assigning session is rejected with time_out_of_order', () => {
      const history = [enrolled(), ...heldSessions(2), homeworkAssigned('hw-1', 2)];
      given(...history)
        .when(commands.submitHomework('hw-1', at(sessionTime(2), 0, -1)))
        .thenThrows('time_out_of_order');
      given(...history)
        .when(commands.submitHomework('hw-1', sessionTime(2)))
        .then([homeworkSubmitted('hw-1', sessionTime(2))]);
    });

    it('dueAt may lie in the future (it is not a clinical time of rule 14)', () => {
      const cmd = commands.assignHomework('hw-1', 1);
      (cmd.data as { dueAt: string }).dueAt = inFuture(14 * 86_400_000);
      expect(given(enrolled(), held(1)).when(cmd).events()).toHaveLength(1);
    });
  });

  describe('rule 9 and rule 10: assessments and risk flags', () => {
    it('records a scored assessment with its total, severity and scoring scheme', () => {
      given(enrolled())
        .when(
          commands.assess(
            A1,
            'GAD-7',
            [1, 2, 3, 0, 1, 2, 3],
            'baseline',
            '2025-01-05T12:00:00-03:00',
          ),
        )
        .then([
          {
            type: 'AssessmentRecorded',
            data: {
              courseId: COURSE_ID,
              assessmentId: A1,
              instrument: 'GAD-7',
              timepoint: 'baseline',
              administeredAt: '2025-01-05T15:00:00.000Z',
              items: [1, 2, 3, 0, 1, 2, 3],
              total: 12,
              severity: 'moderate',
              scoringScheme: 'GAD-7/nhs-talking-therapies+remission-lt5/v1',
            },
          },
        ]);
    });

    it('rule 9: an assessment id used before is rejected with assessment_exists', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO))
        .when(commands.assess(A1, 'GAD-7', [0, 0, 0, 0, 0, 0, 0]))
        .thenThrows('assessment_exists');
    });

    it('rule 9: the wrong item count or an item out of range is a validation error', () => {
      const count = given(enrolled())
        .when(commands.assess(A1, 'PHQ-9', [0, 0, 0]))
        .thenThrows('validation_failed');
      expect(count.errors).toEqual([{ field: 'items', message: 'PHQ-9 has exactly 9 items' }]);
      const hrsd = Array(17).fill(0);
      hrsd[3] = 3; // item 4 is 0–2
      const range = given(enrolled())
        .when(commands.assess(A1, 'HRSD-17', hrsd))
        .thenThrows('validation_failed');
      expect(range.errors).toEqual([
        { field: 'items[3]', message: 'must be null or an integer from 0 to 2' },
      ]);
    });

    it('rule 9: an unknown instrument or timepoint is a validation error', () => {
      const error = given(enrolled())
        .when({
          type: 'RecordAssessment',
          data: {
            courseId: COURSE_ID,
            assessmentId: A1,
            instrument: 'MADRS' as never,
            timepoint: 'week_4' as never,
            administeredAt: ENROLLED_AT,
            items: [],
          },
        })
        .thenThrows('validation_failed');
      expect(error.errors.map((e) => e.field)).toEqual(['instrument', 'timepoint']);
    });

    it('rule 9: an assessment more than 30 days before enrollment is rejected with time_out_of_order', () => {
      given(enrolled())
        .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'baseline', at(ENROLLED_AT, -30, -1)))
        .thenThrows('time_out_of_order');
      expect(
        given(enrolled())
          .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'baseline', at(ENROLLED_AT, -30)))
          .events(),
      ).toHaveLength(1);
    });

    it('a form with a null item is recorded without total or severity', () => {
      const [e] = given(enrolled())
        .when(commands.assess(A1, 'PHQ-9', [1, null, 1, 1, 1, 1, 1, 1, 0]))
        .events();
      expect(e.type === 'AssessmentRecorded' && [e.data.total, e.data.severity]).toEqual([
        null,
        null,
      ]);
    });

    it.each([
      ['PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 1], 9, 1],
      ['HRSD-17', [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 3, 3],
      ['BDI-II', [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 9, 2],
    ] as const)(
      'rule 10: a %s risk item ≥ 1 raises a risk flag in the same append',
      (instrument, items, item, score) => {
        const events = given(enrolled())
          .when(commands.assess(A1, instrument, [...items]))
          .events();
        expect(events[1]).toEqual({
          type: 'RiskFlagRaised',
          data: {
            courseId: COURSE_ID,
            flagId: nthId(1),
            assessmentId: A1,
            instrument,
            item,
            score,
            raisedAt: NOW.toISOString(),
          },
        });
        expect(events).toHaveLength(2);
      },
    );

    it('rule 10: a zero or null risk item raises nothing; GAD-7 never does', () => {
      expect(
        given(enrolled())
          .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO))
          .events(),
      ).toHaveLength(1);
      expect(
        given(enrolled())
          .when(commands.assess(A1, 'PHQ-9', [3, 3, 3, 3, 3, 3, 3, 3, null]))
          .events(),
      ).toHaveLength(1);
      expect(
        given(enrolled())
          .when(commands.assess(A1, 'GAD-7', [3, 3, 3, 3, 3, 3, 3]))
          .events(),
      ).toHaveLength(1);
    });

    it('rule 10: a form with a null item still raises a flag from its risk item', () => {
      const events = given(enrolled())
        .when(commands.assess(A1, 'PHQ-9', [null, 0, 0, 0, 0, 0, 0, 0, 3]))
        .events();
      expect(events.map((e) => e.type)).toEqual(['AssessmentRecorded', 'RiskFlagRaised']);
    });
  });

  describe('rule 11: resolving risk flags', () => {
    const history = [enrolled(), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1, 2)];

    it('resolves an open flag at the server time; no note gives an empty phi', () => {
      given(...history)
        .when(commands.resolveFlag('f-1', 'no_current_risk'))
        .then([
          {
            type: 'RiskFlagResolved',
            data: {
              courseId: COURSE_ID,
              flagId: 'f-1',
              disposition: 'no_current_risk',
              resolvedAt: NOW.toISOString(),
              phi: {},
            },
          },
        ]);
    });

    it('rule 11: an unknown flag is rejected with risk_flag_unknown', () => {
      given(...history)
        .when(commands.resolveFlag('f-2'))
        .thenThrows('risk_flag_unknown');
    });

    it('rule 11: a resolved flag is rejected with risk_flag_already_resolved', () => {
      given(...history, flagResolved('f-1'))
        .when(commands.resolveFlag('f-1'))
        .thenThrows('risk_flag_already_resolved');
    });

    it('rule 11: the disposition must be one of the four', () => {
      const error = given(...history)
        .when(commands.resolveFlag('f-1', 'ignored'))
        .thenThrows('validation_failed');
      expect(error.errors[0].field).toBe('disposition');
    });
  });

  describe('rule 12 and rule 13: ending a course', () => {
    it('completes a course', () => {
      given(enrolled(), held(1))
        .when(commands.complete('2025-04-01T10:00:00Z'))
        .then([completed('2025-04-01T10:00:00.000Z')]);
    });

    it('rule 12: completion without a held session is rejected with no_sessions_held', () => {
      given(enrolled())
        .when(commands.complete(at(ENROLLED_AT, 1)))
        .thenThrows('no_sessions_held');
    });

    it('rule 12: completion with an open risk flag is rejected with open_risk_flags', () => {
      const history = [enrolled(), held(1), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1)];
      given(...history)
        .when(commands.complete(sessionTime(2)))
        .thenThrows('open_risk_flags');
      expect(
        given(...history, flagResolved('f-1'))
          .when(commands.complete(sessionTime(2)))
          .events(),
      ).toHaveLength(1);
    });

    it('rule 12: completedAt before the last held session is rejected with time_out_of_order', () => {
      given(enrolled(), ...heldSessions(3))
        .when(commands.complete(at(sessionTime(3), 0, -1)))
        .thenThrows('time_out_of_order');
      expect(
        given(enrolled(), ...heldSessions(3))
          .when(commands.complete(sessionTime(3)))
          .events(),
      ).toHaveLength(1);
    });

    it('rule 12: withdrawnAt before enrollment or before the last held session is rejected with time_out_of_order', () => {
      given(enrolled())
        .when(commands.withdraw(at(ENROLLED_AT, -1)))
        .thenThrows('time_out_of_order');
      given(enrolled(), ...heldSessions(2))
        .when(commands.withdraw(at(sessionTime(2), 0, -1)))
        .thenThrows('time_out_of_order');
    });

    it('a withdrawal needs no held session and may leave risk flags open', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1))
        .when(commands.withdraw(at(ENROLLED_AT, 3), 'lost_to_contact'))
        .then([withdrawn('lost_to_contact', at(ENROLLED_AT, 3))]);
    });

    it('rule 13: a withdrawal reason outside the list is a validation error', () => {
      const error = given(enrolled())
        .when(commands.withdraw(at(ENROLLED_AT, 3), 'bored'))
        .thenThrows('validation_failed');
      expect(error.errors).toEqual([
        {
          field: 'reason',
          message:
            'must be one of patient_choice, lost_to_contact, clinical_escalation, referred_elsewhere, moved, died, other',
        },
      ]);
    });
  });

  describe('rule 14: clinical times in the future', () => {
    const fiveMinutes = 5 * 60_000;
    const cases: [string, (t: string) => CourseCommand, ReturnType<typeof enrolled>[] | never[]][] =
      [
        ['enrolledAt', (t) => commands.enroll({ enrolledAt: t }), []],
        ['heldAt', (t) => commands.session(1, t), [enrolled()]],
        ['scheduledAt', (t) => commands.missed(t), [enrolled()]],
        ['submittedAt', (t) => commands.submitHomework('hw-1', t), [enrolled()]],
        [
          'administeredAt',
          (t) => commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'session', t),
          [enrolled()],
        ],
        ['withdrawnAt', (t) => commands.withdraw(t), [enrolled()]],
        ['completedAt', (t) => commands.complete(t), [enrolled()]],
      ];

    it.each(cases)(
      'rule 14: %s more than 5 minutes in the future is a validation error',
      (field, build, history) => {
        const error = given(...history)
          .when(build(inFuture(fiveMinutes + 1)))
          .thenThrows('validation_failed');
        expect(error.errors).toEqual([
          { field, message: 'must not be more than 5 minutes in the future' },
        ]);
      },
    );

    it('rule 14: exactly 5 minutes ahead is tolerated (clock skew)', () => {
      expect(
        given(enrolled())
          .when(commands.session(1, inFuture(fiveMinutes)))
          .events(),
      ).toHaveLength(1);
    });

    it('rule 14: the check uses the clock of the context', () => {
      const later = testContext(new Date('2030-01-01T00:00:00Z'));
      expect(
        given(enrolled()).when(commands.session(1, '2029-06-01T00:00:00Z'), later).events(),
      ).toHaveLength(1);
    });

    it('an unparsable or offset-less time is a validation error', () => {
      for (const t of ['2025-01-13 10:00', '2025-01-13T10:00:00', 'yesterday']) {
        const error = given(enrolled())
          .when(commands.session(1, t))
          .thenThrows('validation_failed');
        expect(error.errors[0].field).toBe('heldAt');
      }
    });
  });

  describe('precedence', () => {
    it('validation comes before rule 1 (a future time on a missing course)', () => {
      given()
        .when(commands.session(1, inFuture(3_600_000)))
        .thenThrows('validation_failed');
    });

    it('rule 1 comes before course_closed (course_exists on a closed course)', () => {
      given(enrolled(), held(1), completed()).when(commands.enroll()).thenThrows('course_exists');
    });

    it('course_closed answers first: a closed course with a session out of order and out of time', () => {
      given(enrolled(), ...heldSessions(2), withdrawn('moved'))
        .when(commands.session(7, sessionTime(1)))
        .thenThrows('course_closed');
    });

    it('course_closed answers first: completion of a withdrawn course without sessions and with open flags', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1), withdrawn('moved'))
        .when(commands.complete(at(ENROLLED_AT, 121)))
        .thenThrows('course_closed');
    });

    it('course_closed answers first: a non-follow-up assessment with a reused id on a closed course', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO), held(1), completed())
        .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'end', at(ENROLLED_AT, 121)))
        .thenThrows('course_closed');
    });

    it('otherwise the lowest rule answers: rule 4 before rule 9 (active follow-up with a reused id)', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO))
        .when(commands.assess(A1, 'PHQ-9', PHQ_ZERO, 'follow_up', at(ENROLLED_AT, 1)))
        .thenThrows('follow_up_requires_closed_course');
    });

    it('otherwise the lowest rule answers: rule 1 before rule 2 (ineligible re-enrollment)', () => {
      const screening = {
        psychosis: true,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      };
      given(enrolled()).when(commands.enroll({ screening })).thenThrows('course_exists');
    });

    it('within rule 12: no_sessions_held before open_risk_flags before time_out_of_order', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1))
        .when(commands.complete(at(ENROLLED_AT, -1)))
        .thenThrows('no_sessions_held');
      given(enrolled(), held(1), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1))
        .when(commands.complete(at(ENROLLED_AT, -1)))
        .thenThrows('open_risk_flags');
    });

    it('within rule 5: session_limit_reached before session_out_of_order', () => {
      given(enrolled({ plannedSessions: 12 }), ...heldSessions(12))
        .when(commands.session(14))
        .thenThrows('session_limit_reached');
    });
  });

  describe('rules 16 and 17: corrections', () => {
    it('rule 16: corrects an assessment with a new total and severity, reason in phi', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', [1, 1, 1, 1, 1, 1, 1, 1, 0]))
        .when(commands.correct(A1, [3, 3, 3, 1, 1, 1, 1, 1, 0], 'Items 1–3 were entered reversed'))
        .then([
          {
            type: 'AssessmentCorrected',
            data: {
              courseId: COURSE_ID,
              assessmentId: A1,
              items: [3, 3, 3, 1, 1, 1, 1, 1, 0],
              total: 14,
              severity: 'moderate',
              scoringScheme: 'PHQ-9/nhs-talking-therapies/v1',
              phi: { reason: 'Items 1–3 were entered reversed' },
            },
          },
        ]);
    });

    it('rule 16: an unknown assessment is rejected with assessment_unknown', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO))
        .when(commands.correct(A2, PHQ_ZERO))
        .thenThrows('assessment_unknown');
    });

    it('rule 16: items equal to the current ones are rejected with correction_unchanged', () => {
      given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO))
        .when(commands.correct(A1, [...PHQ_ZERO]))
        .thenThrows('correction_unchanged');
    });

    it('rule 16: "current" items are those of the latest correction', () => {
      const history = [enrolled(), assessed(A1, 'GAD-7', [0, 0, 0, 0, 0, 0, 0])];
      const [correction] = given(...history)
        .when(commands.correct(A1, [1, 0, 0, 0, 0, 0, 0]))
        .events();
      given(...history, correction)
        .when(commands.correct(A1, [1, 0, 0, 0, 0, 0, 0]))
        .thenThrows('correction_unchanged');
      expect(
        given(...history, correction)
          .when(commands.correct(A1, [0, 0, 0, 0, 0, 0, 0]))
          .events(),
      ).toHaveLength(1);
    });

    it("rule 16: corrected items are validated against the assessment's instrument", () => {
      const error = given(enrolled(), assessed(A1, 'HRSD-17', Array(17).fill(0)))
        .when(commands.correct(A1, Array(9).fill(0)))
        .thenThrows('validation_failed');
      expect(error.errors).toEqual([{ field: 'items', message: 'HRSD-17 has exactly 17 items' }]);
    });

    it('rule 16: the reason must be 10–500 characters', () => {
      const error = given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO))
        .when(commands.correct(A1, [1, 0, 0, 0, 0, 0, 0, 0, 0], 'typo'))
        .thenThrows('validation_failed');
      expect(error.errors).toEqual([{ field: 'reason', message: 'must be 10–500 characters' }]);
    });

    it('rule 17: a corrected risk item ≥ 1 raises a new flag when the assessment has no open flag', () => {
      const events = given(enrolled(), assessed(A1, 'PHQ-9', PHQ_ZERO))
        .when(commands.correct(A1, [0, 0, 0, 0, 0, 0, 0, 0, 1]))
        .events();
      expect(events.map((e) => e.type)).toEqual(['AssessmentCorrected', 'RiskFlagRaised']);
      expect(events[1].data).toMatchObject({
        flagId: nthId(1),
        assessmentId: A1,
        item: 9,
        score: 1,
      });
    });

    it('rule 17: no new flag while the assessment still has an open one', () => {
      const events = given(enrolled(), assessed(A1, 'PHQ-9', PHQ_RISK), flagRaised('f-1', A1, 2))
        .when(commands.correct(A1, [2, 2, 2, 1, 1, 1, 0, 0, 3]))
        .events();
      expect(events.map((e) => e.type)).toEqual(['AssessmentCorrected']);
    });

    it('rule 17: a new flag when the earlier flag of that assessment was resolved', () => {
      const events = given(
        enrolled(),
        assessed(A1, 'PHQ-9', PHQ_RISK),
        flagRaised('f-1', A1, 2),
        flagResolved('f-1'),
      )
        .when(commands.correct(A1, [2, 2, 2, 1, 1, 1, 0, 0, 3]))
        .events();
      expect(events.map((e) => e.type)).toEqual(['AssessmentCorrected', 'RiskFlagRaised']);
    });
  });

  describe('evolve', () => {
    it('ignores events before enrollment and folds a course', () => {
      expect(evolve(initialCourseState, held(1))).toBeNull();
      const state = [enrolled(), held(1), homeworkAssigned('hw-1', 1), withdrawn('moved')].reduce(
        evolve,
        initialCourseState,
      );
      expect(state).toMatchObject({
        status: 'withdrawn',
        sessions: [{ sessionNumber: 1 }],
        homework: [{ homeworkId: 'hw-1', submitted: false }],
      });
    });

    it('CourseRuleViolation is an Error with a kind and a rule, and no transport status', () => {
      const e = CourseRuleViolation.conflict('course_closed', 4, 'the course is completed');
      expect(e).toBeInstanceOf(Error);
      expect([e.kind, e.rule]).toEqual(['conflict', 4]);
      expect(CourseRuleViolation.validation([]).kind).toBe('validation');
      expect('status' in e).toBe(false);
    });
  });
});

describe('assessmentAnswer', () => {
  it('gives the total, severity and raised flag of an assessment append', () => {
    const events = given(enrolled())
      .when(
        commands.assess(
          'a1a1a1a1-0000-4000-8000-000000000001',
          'PHQ-9',
          [2, 2, 2, 1, 1, 1, 0, 0, 2],
        ),
      )
      .events();
    expect(assessmentAnswer(events)).toEqual({
      total: 11,
      severity: 'moderate',
      riskFlagId: nthId(1),
    });
    expect(assessmentAnswer([completed()])).toBeNull();
  });
});

describe('erasure (privacy.md)', () => {
  const A = 'a1a1a1a1-0000-4000-8000-000000000001';

  it('records PersonalDataErased with reason, reference and the server time, whatever the status', () => {
    for (const history of [
      [enrolled()],
      [enrolled(), held(1), completed()],
      [enrolled(), withdrawn('moved')],
    ]) {
      given(...history)
        .when(commands.erase('retention_expired', 'TICKET-77'))
        .then([
          {
            type: 'PersonalDataErased',
            data: {
              courseId: COURSE_ID,
              reason: 'retention_expired',
              reference: 'TICKET-77',
              erasedAt: NOW.toISOString(),
            },
          },
        ]);
    }
  });

  it('keeps no reference when none is given', () => {
    const [e] = given(enrolled()).when(commands.erase()).events();
    expect(e.type === 'PersonalDataErased' && e.data.reference).toBeNull();
  });

  it('a second erasure is course_erased (409)', () => {
    const error = given(enrolled(), erased()).when(commands.erase()).thenThrows('course_erased');
    expect(error.kind).toBe('conflict');
  });

  it('refuses every later command with course_erased, before course_closed', () => {
    const cmds: CourseCommand[] = [
      commands.session(2),
      commands.missed(sessionTime(2)),
      commands.problemArea('grief'),
      commands.assignHomework('hw-9', 1),
      commands.submitHomework('hw-1', sessionTime(2)),
      commands.assess(A, 'PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 0]),
      commands.resolveFlag('f-1'),
      commands.withdraw(sessionTime(2)),
      commands.complete(sessionTime(2)),
      commands.correct(A, [1, 0, 0, 0, 0, 0, 0, 0, 0]),
    ];
    for (const c of cmds) {
      given(enrolled(), held(1), erased()).when(c).thenThrows('course_erased');
      // A closed and erased course answers course_erased too.
      given(enrolled(), held(1), completed(), erased()).when(c).thenThrows('course_erased');
    }
  });

  it('an enrollment of an erased course id is still course_exists, and a missing course still not found', () => {
    given(enrolled(), erased()).when(commands.enroll()).thenThrows('course_exists');
    given().when(commands.erase()).thenThrows('course_not_found');
  });

  it('checks the body first: an unknown reason, a blank or over-long reference', () => {
    const errorsOf = (c: CourseCommand) =>
      given(enrolled())
        .when(c)
        .thenThrows('validation_failed')
        .errors.map((e) => e.field);
    expect(errorsOf(commands.erase('forgot_me'))).toEqual(['reason']);
    expect(errorsOf(commands.erase('other', ''))).toEqual(['reference']);
    expect(errorsOf(commands.erase('other', '   '))).toEqual(['reference']);
    expect(errorsOf(commands.erase('other', 'x'.repeat(201)))).toEqual(['reference']);
    expect(errorsOf(commands.erase('other', 42))).toEqual(['reference']);
    // Validation comes before course_erased too.
    given(enrolled(), erased()).when(commands.erase('nope')).thenThrows('validation_failed');
  });

  it('evolves to an erased state, everything else kept', () => {
    const before = given(enrolled(), held(1)).state!;
    const after = given(enrolled(), held(1), erased()).state!;
    expect(after).toEqual({ ...before, erased: true });
  });
});
