/**
 * What clinic systems ask of a course. `courseId` is always in the data; the
 * clinic comes from the caller's token and is checked before `decide` runs.
 */
import type { Screening } from './events';
import type {
  ErasureReason,
  Instrument,
  MissedSessionKind,
  Modality,
  ProblemArea,
  RiskDisposition,
  Timepoint,
  WithdrawalReason,
} from './vocabulary';

export interface EnrollPatient {
  type: 'EnrollPatient';
  data: {
    courseId: string;
    patientRef: string;
    therapistId: string;
    plannedSessions?: number; // default 16
    enrolledAt: string;
    screening: Screening;
    override?: { reason: string };
  };
}

export interface SelectProblemArea {
  type: 'SelectProblemArea';
  data: { courseId: string; area: ProblemArea; reason?: string };
}

export interface RecordSessionHeld {
  type: 'RecordSessionHeld';
  data: {
    courseId: string;
    sessionNumber: number;
    heldAt: string;
    durationMinutes: number;
    modality: Modality;
  };
}

export interface RecordSessionMissed {
  type: 'RecordSessionMissed';
  data: { courseId: string; scheduledAt: string; kind: MissedSessionKind };
}

export interface AssignHomework {
  type: 'AssignHomework';
  data: {
    courseId: string;
    homeworkId: string;
    sessionNumber: number;
    dueAt: string;
    description: string;
  };
}

export interface SubmitHomework {
  type: 'SubmitHomework';
  data: { courseId: string; homeworkId: string; submittedAt: string };
}

export interface RecordAssessment {
  type: 'RecordAssessment';
  data: {
    courseId: string;
    assessmentId: string;
    instrument: Instrument;
    timepoint: Timepoint;
    administeredAt: string;
    items: (number | null)[];
  };
}

export interface ResolveRiskFlag {
  type: 'ResolveRiskFlag';
  data: { courseId: string; flagId: string; disposition: RiskDisposition; note?: string };
}

export interface WithdrawPatient {
  type: 'WithdrawPatient';
  data: { courseId: string; withdrawnAt: string; reason: WithdrawalReason };
}

export interface CompleteCourse {
  type: 'CompleteCourse';
  data: { courseId: string; completedAt: string };
}

export interface CorrectAssessment {
  type: 'CorrectAssessment';
  data: { courseId: string; assessmentId: string; items: (number | null)[]; reason: string };
}

/** privacy_officer: erase the course's personal data (privacy.md). */
export interface EraseCourse {
  type: 'EraseCourse';
  data: { courseId: string; reason: ErasureReason; reference?: string };
}

export type CourseCommand =
  | EnrollPatient
  | SelectProblemArea
  | RecordSessionHeld
  | RecordSessionMissed
  | AssignHomework
  | SubmitHomework
  | RecordAssessment
  | ResolveRiskFlag
  | WithdrawPatient
  | CompleteCourse
  | CorrectAssessment
  | EraseCourse;

export type CourseCommandType = CourseCommand['type'];

/**
 * What `decide` may not compute by itself and stay pure: the clock and fresh
 * identifiers (subjectId at enrollment, flagId for a risk flag).
 */
export interface DecisionContext {
  now: Date;
  newId: () => string;
}
