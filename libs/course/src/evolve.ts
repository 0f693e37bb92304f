/**
 * What `decide` needs to know about a course, folded from its events. Plain
 * JSON-serialisable data (arrays, not Maps) so it can be snapshotted; the
 * collections stay small (≤ 16 sessions, a few dozen forms per course).
 */
import type { CourseEvent } from './events';
import type { CourseStatus, Instrument, ProblemArea } from './vocabulary';

export interface HeldSession {
  sessionNumber: number;
  /** UTC ISO instant. */
  heldAt: string;
}

export interface HomeworkRecord {
  homeworkId: string;
  /** The session in which it was assigned. */
  sessionNumber: number;
  submitted: boolean;
}

export interface AssessmentRecord {
  assessmentId: string;
  instrument: Instrument;
  /** The current items: the latest correction's, else the original ones. */
  items: readonly (number | null)[];
}

export interface RiskFlagRecord {
  flagId: string;
  assessmentId: string;
  open: boolean;
}

export interface EnrolledCourse {
  courseId: string;
  subjectId: string;
  therapistId: string;
  plannedSessions: number;
  enrolledAt: string;
  status: CourseStatus;
  problemArea: ProblemArea | null;
  /** Held sessions in order: `sessions[i].sessionNumber === i + 1`. */
  sessions: readonly HeldSession[];
  homework: readonly HomeworkRecord[];
  assessments: readonly AssessmentRecord[];
  riskFlags: readonly RiskFlagRecord[];
  /** True once the course's personal data is erased (privacy.md): every later command is refused. */
  erased: boolean;
}

/** null: the stream has no enrollment yet (the course does not exist). */
export type CourseState = EnrolledCourse | null;

export const initialCourseState: CourseState = null;

export function evolve(state: CourseState, event: CourseEvent): CourseState {
  if (event.type === 'PatientEnrolled') {
    // A second enrollment cannot be decided (rule 1); keep the first if one were ever stored.
    if (state) return state;
    const d = event.data;
    return {
      courseId: d.courseId,
      subjectId: d.subjectId,
      therapistId: d.therapistId,
      plannedSessions: d.plannedSessions,
      enrolledAt: d.enrolledAt,
      status: 'active',
      problemArea: null,
      sessions: [],
      homework: [],
      assessments: [],
      riskFlags: [],
      erased: false,
    };
  }
  if (!state) return state;

  switch (event.type) {
    case 'ProblemAreaSelected':
      return { ...state, problemArea: event.data.area };
    case 'SessionHeld':
      return {
        ...state,
        sessions: [
          ...state.sessions,
          { sessionNumber: event.data.sessionNumber, heldAt: event.data.heldAt },
        ],
      };
    case 'SessionMissed':
      return state;
    case 'HomeworkAssigned':
      return {
        ...state,
        homework: [
          ...state.homework,
          {
            homeworkId: event.data.homeworkId,
            sessionNumber: event.data.sessionNumber,
            submitted: false,
          },
        ],
      };
    case 'HomeworkSubmitted':
      return {
        ...state,
        homework: state.homework.map((h) =>
          h.homeworkId === event.data.homeworkId ? { ...h, submitted: true } : h,
        ),
      };
    case 'AssessmentRecorded':
      return {
        ...state,
        assessments: [
          ...state.assessments,
          {
            assessmentId: event.data.assessmentId,
            instrument: event.data.instrument,
            items: event.data.items,
          },
        ],
      };
    case 'AssessmentCorrected':
      return {
        ...state,
        assessments: state.assessments.map((a) =>
          a.assessmentId === event.data.assessmentId ? { ...a, items: event.data.items } : a,
        ),
      };
    case 'RiskFlagRaised':
      return {
        ...state,
        riskFlags: [
          ...state.riskFlags,
          { flagId: event.data.flagId, assessmentId: event.data.assessmentId, open: true },
        ],
      };
    case 'RiskFlagResolved':
      return {
        ...state,
        riskFlags: state.riskFlags.map((f) =>
          f.flagId === event.data.flagId ? { ...f, open: false } : f,
        ),
      };
    case 'PatientWithdrawn':
      return { ...state, status: 'withdrawn' };
    case 'CourseCompleted':
      return { ...state, status: 'completed' };
    case 'PersonalDataErased':
      return { ...state, erased: true };
    default: {
      // Every event type must be handled above: a new one does not compile until it is.
      const unhandled: never = event;
      void unhandled;
      return state;
    }
  }
}

/** The state after all `events`, in stream order. */
export const foldCourse = (
  events: Iterable<CourseEvent>,
  state: CourseState = initialCourseState,
): CourseState => {
  let s = state;
  for (const e of events) s = evolve(s, e);
  return s;
};
