import type { CourseEvent } from '@ipt/course';
import {
  ENROLLED_AT,
  PATIENT_REF,
  SUBJECT_ID,
  assessed,
  at,
  completed,
  enrolled,
  flagRaised,
  flagResolved,
  held,
  heldSessions,
  homeworkAssigned,
  homeworkSubmitted,
  missed,
  problemAreaSelected,
  sessionTime,
  withdrawn,
} from '../../../course/src/testing/fixtures';
import {
  evolveCompletion,
  initialCompletionState,
  omitPatientRef,
  phaseOf,
  toCompletionView,
  type CourseCompletionState,
} from './course-completion';

/** Folds events as stored: revision = index, recorded a minute apart. */
function fold(events: CourseEvent[]): CourseCompletionState {
  const state = events.reduce<CourseCompletionState | null>(
    (s, e, revision) =>
      evolveCompletion(s, e, { revision, recordedAt: at(ENROLLED_AT, 0, revision / 60) }),
    initialCompletionState,
  );
  if (!state) throw new Error('no enrollment');
  return state;
}
const view = (...events: CourseEvent[]) => toCompletionView(fold(events));

describe('course completion view', () => {
  it('shows a fresh enrollment', () => {
    expect(view(enrolled())).toEqual({
      courseId: expect.any(String),
      subjectId: SUBJECT_ID,
      therapistId: 'therapist-7',
      patientRef: PATIENT_REF,
      erased: false,
      status: 'active',
      plannedSessions: 16,
      sessionsHeld: 0,
      sessionsMissed: 0,
      attendanceRate: null,
      phase: 'initial',
      problemArea: null,
      homeworkAssigned: 0,
      homeworkSubmitted: 0,
      homeworkCompletionRate: null,
      openRiskFlags: 0,
      enrolledAt: ENROLLED_AT,
      firstSessionAt: null,
      lastSessionAt: null,
      completedAt: null,
      withdrawnAt: null,
      withdrawalReason: null,
      weeksInTreatment: 0,
      protocolComplete: false,
      earlyTermination: false,
      dropout: false,
      revision: 0,
    });
  });

  it('attendanceRate = held / (held + missed by the patient); clinic cancellations do not count', () => {
    const v = view(
      enrolled(),
      ...heldSessions(3),
      missed('did_not_attend'),
      missed('cancelled_by_patient'),
      missed('cancelled_by_clinic'),
    );
    expect(v.sessionsHeld).toBe(3);
    expect(v.sessionsMissed).toBe(3);
    expect(v.attendanceRate).toBeCloseTo(3 / 5, 12);
  });

  it('attendanceRate is null when its denominator is 0, and 0 with only patient misses', () => {
    expect(view(enrolled(), missed('cancelled_by_clinic')).attendanceRate).toBeNull();
    expect(view(enrolled(), missed('did_not_attend')).attendanceRate).toBe(0);
  });

  it.each([
    [0, 16, 'initial'],
    [3, 16, 'initial'],
    [4, 16, 'middle'],
    [13, 16, 'middle'],
    [14, 16, 'termination'],
    [16, 16, 'termination'],
    [4, 12, 'middle'],
    [9, 12, 'middle'],
    [10, 12, 'termination'],
  ] as const)('phase with %i of %i sessions held is %s', (heldCount, planned, phase) => {
    expect(phaseOf(heldCount, planned)).toBe(phase);
    expect(view(enrolled({ plannedSessions: planned }), ...heldSessions(heldCount)).phase).toBe(
      phase,
    );
  });

  it('weeksInTreatment = whole weeks between first and last session; 0 with fewer than two', () => {
    expect(view(enrolled(), held(1)).weeksInTreatment).toBe(0);
    expect(view(enrolled(), ...heldSessions(4)).weeksInTreatment).toBe(3);
    // 13 days 23 hours is one whole week; 14 days is two.
    expect(view(enrolled(), held(1), held(2, at(sessionTime(1), 13, 23))).weeksInTreatment).toBe(1);
    expect(view(enrolled(), held(1), held(2, at(sessionTime(1), 14))).weeksInTreatment).toBe(2);
    const v = view(enrolled(), ...heldSessions(4));
    expect([v.firstSessionAt, v.lastSessionAt]).toEqual([sessionTime(1), sessionTime(4)]);
  });

  it('a completed course with 12 held sessions is protocol complete', () => {
    const v = view(enrolled(), ...heldSessions(12), completed());
    expect(v).toMatchObject({
      status: 'completed',
      protocolComplete: true,
      earlyTermination: false,
      dropout: false,
    });
    expect(v.completedAt).toBe(at(ENROLLED_AT, 120));
  });

  it('a completed course with 11 held sessions is an early termination', () => {
    expect(view(enrolled(), ...heldSessions(11), completed())).toMatchObject({
      protocolComplete: false,
      earlyTermination: true,
      dropout: false,
    });
  });

  it.each([
    ['patient_choice', true],
    ['lost_to_contact', true],
    ['clinical_escalation', false],
    ['referred_elsewhere', false],
    ['moved', false],
    ['died', false],
    ['other', false],
  ] as const)('a withdrawal for %s is a dropout: %s', (reason, dropout) => {
    const v = view(enrolled(), ...heldSessions(12), withdrawn(reason));
    expect(v).toMatchObject({
      status: 'withdrawn',
      withdrawalReason: reason,
      withdrawnAt: at(ENROLLED_AT, 120),
      dropout,
      protocolComplete: false,
      earlyTermination: false,
    });
  });

  it('counts homework, open risk flags and the latest problem area', () => {
    const A = 'a1a1a1a1-0000-4000-8000-000000000001';
    const v = view(
      enrolled(),
      ...heldSessions(2),
      problemAreaSelected('grief'),
      problemAreaSelected('role_dispute'),
      homeworkAssigned('hw-1', 1),
      homeworkAssigned('hw-2', 1),
      homeworkAssigned('hw-3', 2),
      homeworkSubmitted('hw-1', sessionTime(2)),
      homeworkSubmitted('hw-3', sessionTime(3)),
      assessed(A, 'PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 2]),
      flagRaised('f-1', A),
      flagRaised('f-2', A),
      flagResolved('f-1'),
    );
    expect(v).toMatchObject({
      problemArea: 'role_dispute',
      homeworkAssigned: 3,
      homeworkSubmitted: 2,
      openRiskFlags: 1,
      revision: 13,
    });
    expect(v.homeworkCompletionRate).toBeCloseTo(2 / 3, 12);
  });

  it('revision follows every event, including those that change no figure', () => {
    expect(view(enrolled(), assessed('a', 'GAD-7', [0, 0, 0, 0, 0, 0, 0])).revision).toBe(1);
  });

  it('ignores events before enrollment and replays of events already folded in', () => {
    expect(evolveCompletion(null, held(1), { revision: 0, recordedAt: ENROLLED_AT })).toBeNull();
    const s = fold([enrolled(), held(1)]);
    expect(evolveCompletion(s, held(1), { revision: 1, recordedAt: ENROLLED_AT })).toBe(s);
  });

  it('patientRef is the only PHI field and can be dropped', () => {
    const v = view(enrolled());
    const deidentified = omitPatientRef(v);
    expect(deidentified).not.toHaveProperty('patientRef');
    expect(JSON.stringify(deidentified)).not.toContain(PATIENT_REF);
    expect(Object.keys(v).length - Object.keys(deidentified).length).toBe(1);
  });
});
