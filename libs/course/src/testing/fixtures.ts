/**
 * A small fixture course: enrolled on Monday 6 January 2025, session n held
 * weekly from the same day at 10:00 UTC. Builders for its events and commands.
 */
import type { CourseCommand } from '../commands';
import type {
  AssessmentRecorded,
  CourseEvent,
  HomeworkAssigned,
  PatientEnrolled,
  RiskFlagRaised,
} from '../events';
import { instrumentDefinition, score } from '../instruments';
import { DAY_MS } from '../time';
import type { Instrument, MissedSessionKind, Timepoint, WithdrawalReason } from '../vocabulary';

export const COURSE_ID = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
export const SUBJECT_ID = '9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
export const PATIENT_REF = 'MRN-0042';
export const ENROLLED_AT = '2025-01-06T09:00:00.000Z';

const at = (base: string, days: number, hours = 0): string =>
  new Date(Date.parse(base) + days * DAY_MS + hours * 3_600_000).toISOString();

/** When the fixture's session n is held: weekly, from enrollment day at 10:00. */
export const sessionTime = (n: number): string => at(ENROLLED_AT, 7 * (n - 1), 1);

export function enrolled(data: Partial<PatientEnrolled['data']> = {}): PatientEnrolled {
  return {
    type: 'PatientEnrolled',
    data: {
      courseId: COURSE_ID,
      subjectId: SUBJECT_ID,
      therapistId: 'therapist-7',
      plannedSessions: 16,
      enrolledAt: ENROLLED_AT,
      screening: {
        psychosis: false,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      },
      positiveCriteria: [],
      screenOverridden: false,
      phi: { patientRef: PATIENT_REF },
      ...data,
    },
  };
}

export const held = (n: number, heldAt = sessionTime(n)): CourseEvent => ({
  type: 'SessionHeld',
  data: {
    courseId: COURSE_ID,
    sessionNumber: n,
    heldAt,
    durationMinutes: 50,
    modality: 'in_person',
  },
});

/** Sessions 1..n. */
export const heldSessions = (n: number): CourseEvent[] =>
  Array.from({ length: n }, (_, i) => held(i + 1));

export const missed = (kind: MissedSessionKind, scheduledAt = at(ENROLLED_AT, 3)): CourseEvent => ({
  type: 'SessionMissed',
  data: { courseId: COURSE_ID, scheduledAt, kind },
});

export const homeworkAssigned = (homeworkId: string, sessionNumber: number): HomeworkAssigned => ({
  type: 'HomeworkAssigned',
  data: {
    courseId: COURSE_ID,
    homeworkId,
    sessionNumber,
    dueAt: sessionTime(sessionNumber + 1),
    phi: { description: 'Interpersonal inventory' },
  },
});

export const homeworkSubmitted = (homeworkId: string, submittedAt: string): CourseEvent => ({
  type: 'HomeworkSubmitted',
  data: { courseId: COURSE_ID, homeworkId, submittedAt },
});

export function assessed(
  assessmentId: string,
  instrument: Instrument,
  items: (number | null)[],
  timepoint: Timepoint = 'session',
  administeredAt = ENROLLED_AT,
): AssessmentRecorded {
  return {
    type: 'AssessmentRecorded',
    data: {
      courseId: COURSE_ID,
      assessmentId,
      instrument,
      timepoint,
      administeredAt,
      items,
      ...score(instrument, items),
      scoringScheme: instrumentDefinition(instrument).scoringScheme,
    },
  };
}

/** Items of `instrument` that add up to `total` (filled from the first item, each up to its maximum). */
export function itemsTotalling(instrument: Instrument, total: number): number[] {
  let rest = total;
  return instrumentDefinition(instrument).itemMax.map((max) => {
    const v = Math.min(max, rest);
    rest -= v;
    return v;
  });
}

export const flagRaised = (flagId: string, assessmentId: string, score = 1): RiskFlagRaised => ({
  type: 'RiskFlagRaised',
  data: {
    courseId: COURSE_ID,
    flagId,
    assessmentId,
    instrument: 'PHQ-9',
    item: 9,
    score,
    raisedAt: ENROLLED_AT,
  },
});

export const flagResolved = (flagId: string, resolvedAt = at(ENROLLED_AT, 1)): CourseEvent => ({
  type: 'RiskFlagResolved',
  data: { courseId: COURSE_ID, flagId, disposition: 'safety_plan', resolvedAt, phi: {} },
});

export const withdrawn = (
  reason: WithdrawalReason,
  withdrawnAt = at(ENROLLED_AT, 120),
): CourseEvent => ({
  type: 'PatientWithdrawn',
  data: { courseId: COURSE_ID, withdrawnAt, reason },
});

export const completed = (completedAt = at(ENROLLED_AT, 120)): CourseEvent => ({
  type: 'CourseCompleted',
  data: { courseId: COURSE_ID, completedAt },
});

export const problemAreaSelected = (
  area: 'grief' | 'role_dispute' | 'role_transition' | 'interpersonal_deficits',
): CourseEvent => ({
  type: 'ProblemAreaSelected',
  data: { courseId: COURSE_ID, area, previousArea: null, phi: {} },
});

export const erased = (
  reason:
    'data_subject_request' | 'retention_expired' | 'legal_order' | 'other' = 'data_subject_request',
  erasedAt = at(ENROLLED_AT, 200),
  reference: string | null = 'DSR-2025-0017',
): CourseEvent => ({
  type: 'PersonalDataErased',
  data: { courseId: COURSE_ID, reason, reference, erasedAt },
});

/** Command builders with valid defaults for the fixture course. */
export const commands = {
  enroll: (
    data: Partial<Extract<CourseCommand, { type: 'EnrollPatient' }>['data']> = {},
  ): CourseCommand => ({
    type: 'EnrollPatient',
    data: {
      courseId: COURSE_ID,
      patientRef: PATIENT_REF,
      therapistId: 'therapist-7',
      plannedSessions: 16,
      enrolledAt: ENROLLED_AT,
      screening: {
        psychosis: false,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      },
      ...data,
    },
  }),
  session: (sessionNumber: number, heldAt = sessionTime(sessionNumber)): CourseCommand => ({
    type: 'RecordSessionHeld',
    data: { courseId: COURSE_ID, sessionNumber, heldAt, durationMinutes: 50, modality: 'video' },
  }),
  missed: (scheduledAt: string, kind: MissedSessionKind = 'did_not_attend'): CourseCommand => ({
    type: 'RecordSessionMissed',
    data: { courseId: COURSE_ID, scheduledAt, kind },
  }),
  problemArea: (area: string, reason?: string): CourseCommand =>
    ({
      type: 'SelectProblemArea',
      data: { courseId: COURSE_ID, area, ...(reason === undefined ? {} : { reason }) },
    }) as CourseCommand,
  assignHomework: (homeworkId: string, sessionNumber: number): CourseCommand => ({
    type: 'AssignHomework',
    data: {
      courseId: COURSE_ID,
      homeworkId,
      sessionNumber,
      dueAt: sessionTime(sessionNumber + 1),
      description: 'Talk to your sister about the move',
    },
  }),
  submitHomework: (homeworkId: string, submittedAt: string): CourseCommand => ({
    type: 'SubmitHomework',
    data: { courseId: COURSE_ID, homeworkId, submittedAt },
  }),
  assess: (
    assessmentId: string,
    instrument: Instrument,
    items: (number | null)[],
    timepoint: Timepoint = 'session',
    administeredAt = ENROLLED_AT,
  ): CourseCommand => ({
    type: 'RecordAssessment',
    data: { courseId: COURSE_ID, assessmentId, instrument, timepoint, administeredAt, items },
  }),
  resolveFlag: (flagId: string, disposition = 'safety_plan', note?: string): CourseCommand =>
    ({
      type: 'ResolveRiskFlag',
      data: { courseId: COURSE_ID, flagId, disposition, ...(note === undefined ? {} : { note }) },
    }) as CourseCommand,
  withdraw: (withdrawnAt: string, reason: string = 'patient_choice'): CourseCommand =>
    ({
      type: 'WithdrawPatient',
      data: { courseId: COURSE_ID, withdrawnAt, reason },
    }) as CourseCommand,
  complete: (completedAt: string): CourseCommand => ({
    type: 'CompleteCourse',
    data: { courseId: COURSE_ID, completedAt },
  }),
  correct: (
    assessmentId: string,
    items: (number | null)[],
    reason = 'Item 4 was transcribed wrongly',
  ): CourseCommand => ({
    type: 'CorrectAssessment',
    data: { courseId: COURSE_ID, assessmentId, items, reason },
  }),
  erase: (reason: string = 'data_subject_request', reference?: unknown): CourseCommand =>
    ({
      type: 'EraseCourse',
      data: {
        courseId: COURSE_ID,
        reason,
        ...(reference === undefined ? {} : { reference }),
      },
    }) as CourseCommand,
};

export { at };
