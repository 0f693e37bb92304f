/**
 * The facts of an IPT course, as a discriminated union of past-tense names.
 * Every protected health information field (patientRef, free text) lives in
 * the event's `phi` object: it is stored sealed with the course's key
 * (privacy.md) and reads as `null` once the course's key is erased, or in
 * readers that need no PHI (`withoutPhi`).
 */
import type {
  Instrument,
  MissedSessionKind,
  Modality,
  ProblemArea,
  RiskDisposition,
  ErasureReason,
  ScreeningCriterion,
  Severity,
  Timepoint,
  WithdrawalReason,
} from './vocabulary';

export interface Screening {
  psychosis: boolean;
  bipolarDisorder: boolean;
  primarySubstanceUse: boolean;
  acuteSuicideRisk: boolean;
}

export interface PatientEnrolled {
  type: 'PatientEnrolled';
  data: {
    courseId: string;
    /** Random pseudonym (UUID v4) drawn at enrollment: what analytics sees. */
    subjectId: string;
    therapistId: string;
    plannedSessions: number;
    enrolledAt: string;
    screening: Screening;
    /** The screen criteria that were positive (empty when none). */
    positiveCriteria: ScreeningCriterion[];
    /** True when a clinician overrode a positive screen (rule 2). */
    screenOverridden: boolean;
    phi: { patientRef: string; overrideReason?: string } | null;
  };
}

export interface ProblemAreaSelected {
  type: 'ProblemAreaSelected';
  data: {
    courseId: string;
    area: ProblemArea;
    previousArea: ProblemArea | null;
    phi: { reason?: string } | null;
  };
}

export interface SessionHeld {
  type: 'SessionHeld';
  data: {
    courseId: string;
    sessionNumber: number;
    heldAt: string;
    durationMinutes: number;
    modality: Modality;
  };
}

export interface SessionMissed {
  type: 'SessionMissed';
  data: { courseId: string; scheduledAt: string; kind: MissedSessionKind };
}

export interface HomeworkAssigned {
  type: 'HomeworkAssigned';
  data: {
    courseId: string;
    homeworkId: string;
    sessionNumber: number;
    dueAt: string;
    phi: { description: string } | null;
  };
}

export interface HomeworkSubmitted {
  type: 'HomeworkSubmitted';
  data: { courseId: string; homeworkId: string; submittedAt: string };
}

export interface AssessmentRecorded {
  type: 'AssessmentRecorded';
  data: {
    courseId: string;
    assessmentId: string;
    instrument: Instrument;
    timepoint: Timepoint;
    administeredAt: string;
    items: (number | null)[];
    total: number | null;
    severity: Severity | null;
    /** Name of the scoring scheme (bands, thresholds) in force when scored. */
    scoringScheme: string;
  };
}

export interface RiskFlagRaised {
  type: 'RiskFlagRaised';
  data: {
    courseId: string;
    flagId: string;
    assessmentId: string;
    instrument: Instrument;
    /** 1-based item number of the instrument's risk item. */
    item: number;
    score: number;
    raisedAt: string;
  };
}

export interface RiskFlagResolved {
  type: 'RiskFlagResolved';
  data: {
    courseId: string;
    flagId: string;
    disposition: RiskDisposition;
    resolvedAt: string;
    phi: { note?: string } | null;
  };
}

export interface PatientWithdrawn {
  type: 'PatientWithdrawn';
  data: { courseId: string; withdrawnAt: string; reason: WithdrawalReason };
}

export interface CourseCompleted {
  type: 'CourseCompleted';
  data: { courseId: string; completedAt: string };
}

export interface AssessmentCorrected {
  type: 'AssessmentCorrected';
  data: {
    courseId: string;
    assessmentId: string;
    items: (number | null)[];
    total: number | null;
    severity: Severity | null;
    scoringScheme: string;
    phi: { reason: string } | null;
  };
}

/**
 * The course's personal data was erased (privacy.md): its key is destroyed,
 * every earlier `phi` reads as null from now on. Carries no PHI itself.
 */
export interface PersonalDataErased {
  type: 'PersonalDataErased';
  data: {
    courseId: string;
    reason: ErasureReason;
    /** The clinic's ticket number for the request; never PHI. */
    reference: string | null;
    erasedAt: string;
  };
}

export type CourseEvent =
  | PatientEnrolled
  | ProblemAreaSelected
  | SessionHeld
  | SessionMissed
  | HomeworkAssigned
  | HomeworkSubmitted
  | AssessmentRecorded
  | RiskFlagRaised
  | RiskFlagResolved
  | PatientWithdrawn
  | CourseCompleted
  | AssessmentCorrected
  | PersonalDataErased;

export type CourseEventType = CourseEvent['type'];

export const COURSE_EVENT_TYPES: readonly CourseEventType[] = [
  'PatientEnrolled',
  'ProblemAreaSelected',
  'SessionHeld',
  'SessionMissed',
  'HomeworkAssigned',
  'HomeworkSubmitted',
  'AssessmentRecorded',
  'RiskFlagRaised',
  'RiskFlagResolved',
  'PatientWithdrawn',
  'CourseCompleted',
  'AssessmentCorrected',
  'PersonalDataErased',
];

/** Metadata every recorded event carries (docs/domain-rules.md). */
export interface EventMetadata {
  actor: { id: string; role: string };
  clinicId: string;
  commandId: string;
  correlationId: string;
  causationId: string;
  idempotencyKey?: string;
  schemaVersion: number;
  recordedAt: string;
  /** Tamper evidence (scheduled by its own issue). */
  prevHash?: string;
  hash?: string;
}

export const SCHEMA_VERSION = 1;

export const courseStreamId = (courseId: string): string => `course-${courseId}`;
export const COURSE_STREAM_PREFIX = 'course-';
