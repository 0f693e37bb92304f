/**
 * Read model "course completion" (domain.md): attendance, phase, homework,
 * open risk flags and how the course ended. A pure fold, shared by the
 * projection and by the audit "state as of" route.
 *
 * patientRef is PHI: the state keeps it apart in `phi`, and the view's only
 * PHI field is `patientRef` (drop it with `omitPatientRef`).
 */
import {
  DAY_MS,
  parseInstant,
  type CourseEvent,
  type CourseStatus,
  type ProblemArea,
  type WithdrawalReason,
} from '@ipt/course';
import type { EventRecording } from './recording';

export type Phase = 'initial' | 'middle' | 'termination';

export interface CourseCompletionState {
  courseId: string;
  subjectId: string;
  therapistId: string;
  /** patientRef is null once the course's PHI is erased (or its key is). */
  phi: { patientRef: string | null };
  /** privacy.md: true after PersonalDataErased (absent in rows folded before issue 10). */
  erased?: boolean;
  status: CourseStatus;
  plannedSessions: number;
  sessionsHeld: number;
  /** Missed sessions of every kind. */
  sessionsMissed: number;
  /** Missed sessions the patient missed (did_not_attend, cancelled_by_patient): the attendance denominator. */
  sessionsMissedByPatient: number;
  /** Patient-caused misses recorded after the last held session (after enrollment when none), in stream order. */
  patientMissedSinceLastSession: number;
  problemArea: ProblemArea | null;
  homeworkAssigned: number;
  homeworkSubmitted: number;
  openRiskFlagIds: string[];
  enrolledAt: string;
  firstSessionAt: string | null;
  lastSessionAt: string | null;
  completedAt: string | null;
  withdrawnAt: string | null;
  withdrawalReason: WithdrawalReason | null;
  /** The stream revision of the last event folded in. */
  revision: number;
  /** When that event was recorded. */
  recordedAt: string;
}

/** The figures of domain.md, "Read model: course completion". */
export interface CourseCompletionFigures {
  status: CourseStatus;
  plannedSessions: number;
  sessionsHeld: number;
  sessionsMissed: number;
  attendanceRate: number | null;
  phase: Phase;
  problemArea: ProblemArea | null;
  homeworkAssigned: number;
  homeworkSubmitted: number;
  homeworkCompletionRate: number | null;
  openRiskFlags: number;
  enrolledAt: string;
  firstSessionAt: string | null;
  lastSessionAt: string | null;
  completedAt: string | null;
  withdrawnAt: string | null;
  withdrawalReason: WithdrawalReason | null;
  weeksInTreatment: number;
  protocolComplete: boolean;
  earlyTermination: boolean;
  dropout: boolean;
  revision: number;
}

/** The course view of the API, less `clinicId` (added by the API from the event metadata). */
export interface CourseCompletionView extends CourseCompletionFigures {
  courseId: string;
  subjectId: string;
  therapistId: string;
  /** PHI; null once erased. */
  patientRef: string | null;
  /** privacy.md: the course's personal data is erased. */
  erased: boolean;
}

/** Held sessions that make a course "protocol complete" (IPT: 12–16 sessions). */
export const PROTOCOL_MIN_SESSIONS = 12;
const DROPOUT_REASONS: readonly WithdrawalReason[] = ['patient_choice', 'lost_to_contact'];

export const initialCompletionState: CourseCompletionState | null = null;

export function evolveCompletion(
  state: CourseCompletionState | null,
  event: CourseEvent,
  meta: EventRecording,
): CourseCompletionState | null {
  if (event.type === 'PatientEnrolled') {
    if (state) return state;
    const d = event.data;
    return {
      courseId: d.courseId,
      subjectId: d.subjectId,
      therapistId: d.therapistId,
      phi: { patientRef: d.phi?.patientRef ?? null },
      erased: false,
      status: 'active',
      plannedSessions: d.plannedSessions,
      sessionsHeld: 0,
      sessionsMissed: 0,
      sessionsMissedByPatient: 0,
      patientMissedSinceLastSession: 0,
      problemArea: null,
      homeworkAssigned: 0,
      homeworkSubmitted: 0,
      openRiskFlagIds: [],
      enrolledAt: d.enrolledAt,
      firstSessionAt: null,
      lastSessionAt: null,
      completedAt: null,
      withdrawnAt: null,
      withdrawalReason: null,
      revision: meta.revision,
      recordedAt: meta.recordedAt,
    };
  }
  // Nothing before enrollment; an event already folded in (a replay) changes nothing.
  if (!state || meta.revision <= state.revision) return state;
  const next: CourseCompletionState = {
    ...state,
    revision: meta.revision,
    recordedAt: meta.recordedAt,
  };

  switch (event.type) {
    case 'ProblemAreaSelected':
      next.problemArea = event.data.area;
      break;
    case 'SessionHeld':
      next.sessionsHeld += 1;
      next.firstSessionAt ??= event.data.heldAt;
      next.lastSessionAt = event.data.heldAt;
      next.patientMissedSinceLastSession = 0;
      break;
    case 'SessionMissed':
      next.sessionsMissed += 1;
      if (event.data.kind !== 'cancelled_by_clinic') {
        next.sessionsMissedByPatient += 1;
        next.patientMissedSinceLastSession += 1;
      }
      break;
    case 'HomeworkAssigned':
      next.homeworkAssigned += 1;
      break;
    case 'HomeworkSubmitted':
      next.homeworkSubmitted += 1;
      break;
    case 'RiskFlagRaised':
      next.openRiskFlagIds = [...state.openRiskFlagIds, event.data.flagId];
      break;
    case 'RiskFlagResolved':
      next.openRiskFlagIds = state.openRiskFlagIds.filter((id) => id !== event.data.flagId);
      break;
    case 'PatientWithdrawn':
      next.status = 'withdrawn';
      next.withdrawnAt = event.data.withdrawnAt;
      next.withdrawalReason = event.data.reason;
      break;
    case 'CourseCompleted':
      next.status = 'completed';
      next.completedAt = event.data.completedAt;
      break;
    case 'PersonalDataErased':
      next.phi = { patientRef: null };
      next.erased = true;
      break;
    case 'AssessmentRecorded':
    case 'AssessmentCorrected':
      // Assessments and corrections do not change this view; only its revision moves.
      break;
    default: {
      const unhandled: never = event;
      void unhandled;
    }
  }
  return next;
}

export function phaseOf(sessionsHeld: number, plannedSessions: number): Phase {
  if (sessionsHeld <= 3) return 'initial';
  return sessionsHeld > plannedSessions - 3 ? 'termination' : 'middle';
}

export function weeksBetween(first: string | null, last: string | null): number {
  const a = parseInstant(first);
  const b = parseInstant(last);
  if (a === null || b === null) return 0;
  return Math.floor((b - a) / (7 * DAY_MS));
}

export function toCompletionFigures(s: CourseCompletionState): CourseCompletionFigures {
  const attendanceDenominator = s.sessionsHeld + s.sessionsMissedByPatient;
  return {
    status: s.status,
    plannedSessions: s.plannedSessions,
    sessionsHeld: s.sessionsHeld,
    sessionsMissed: s.sessionsMissed,
    attendanceRate: attendanceDenominator === 0 ? null : s.sessionsHeld / attendanceDenominator,
    phase: phaseOf(s.sessionsHeld, s.plannedSessions),
    problemArea: s.problemArea,
    homeworkAssigned: s.homeworkAssigned,
    homeworkSubmitted: s.homeworkSubmitted,
    homeworkCompletionRate:
      s.homeworkAssigned === 0 ? null : s.homeworkSubmitted / s.homeworkAssigned,
    openRiskFlags: s.openRiskFlagIds.length,
    enrolledAt: s.enrolledAt,
    firstSessionAt: s.firstSessionAt,
    lastSessionAt: s.lastSessionAt,
    completedAt: s.completedAt,
    withdrawnAt: s.withdrawnAt,
    withdrawalReason: s.withdrawalReason,
    // With fewer than two sessions first = last (or none), so this is 0.
    weeksInTreatment: weeksBetween(s.firstSessionAt, s.lastSessionAt),
    protocolComplete: s.status === 'completed' && s.sessionsHeld >= PROTOCOL_MIN_SESSIONS,
    earlyTermination: s.status === 'completed' && s.sessionsHeld < PROTOCOL_MIN_SESSIONS,
    dropout:
      s.status === 'withdrawn' &&
      s.withdrawalReason !== null &&
      DROPOUT_REASONS.includes(s.withdrawalReason),
    revision: s.revision,
  };
}

export function toCompletionView(s: CourseCompletionState): CourseCompletionView {
  return {
    courseId: s.courseId,
    subjectId: s.subjectId,
    therapistId: s.therapistId,
    patientRef: s.erased === true ? null : s.phi.patientRef,
    erased: s.erased === true,
    ...toCompletionFigures(s),
  };
}

/** The view without its PHI, for anything that leaves the clinic's own use. */
export function omitPatientRef<T extends { patientRef?: unknown }>(view: T): Omit<T, 'patientRef'> {
  const { patientRef: _patientRef, ...rest } = view;
  return rest;
}
