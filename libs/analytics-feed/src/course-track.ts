/**
 * What the relay keeps per course: the facts the CloudEvent mapping needs and
 * the read-model fold states (the same pure folds as the projections), from
 * which each batch publishes the course's de-identified outcome snapshot.
 */
import {
  clinicOf,
  decodeCourseEvent,
  withoutPhi,
  parseInstant,
  recordedAtOf,
  type Instrument,
} from '@ipt/course';
import type { RecordedEvent } from '@ipt/event-store';
import {
  courseEngagementBasis,
  engagementAt,
  evolveCompletion,
  evolveOutcomes,
  initialCompletionState,
  initialOutcomesState,
  toCompletionFigures,
  toOutcomesView,
  type CourseCompletionState,
  type CourseOutcomesState,
  type InstrumentOutcome,
  type OutcomePoint,
  type RiskFlagView,
} from '@ipt/projections';
import { dayOf, evolveCourseFacts, type CourseFacts } from './cloud-event';

export interface CourseTrack {
  courseId: string;
  /** Revision of the last event folded in; -1 before any. */
  revision: number;
  clinicId: string | null;
  facts: CourseFacts | undefined;
  completion: CourseCompletionState | null;
  outcomes: CourseOutcomesState | null;
}

export const emptyCourseTrack = (courseId: string): CourseTrack => ({
  courseId,
  revision: -1,
  clinicId: null,
  facts: undefined,
  completion: initialCompletionState,
  outcomes: initialOutcomesState,
});

export function evolveCourseTrack(track: CourseTrack, recorded: RecordedEvent): CourseTrack {
  const event = decodeCourseEvent(withoutPhi(recorded)); // the feed never needs PHI
  const meta = { revision: recorded.revision, recordedAt: recordedAtOf(recorded) };
  return {
    courseId: track.courseId,
    revision: recorded.revision,
    clinicId: track.clinicId ?? clinicOf(recorded),
    facts: evolveCourseFacts(track.facts, event),
    completion: evolveCompletion(track.completion, event, meta),
    outcomes: evolveOutcomes(track.outcomes, event, meta),
  };
}

/** The value of ipt.course-outcomes.v1: completion and outcome figures, times as days since enrollment. */
export interface CourseOutcomesSnapshot {
  courseId: string;
  clinicId: string | null;
  subjectId: string;
  therapistId: string;
  revision: number;
  enrolledYear: number;
  completion: Record<string, unknown>;
  outcomes: {
    instruments: Partial<Record<Instrument, Record<string, unknown>>>;
    riskFlags: Record<string, unknown>[];
  };
}

export function outcomeSnapshot(track: CourseTrack): CourseOutcomesSnapshot {
  const { facts, completion, outcomes } = track;
  if (!facts || !completion || !outcomes)
    throw new Error(`course ${track.courseId} has no enrollment to snapshot`);
  const day = (iso: string | null): number | null => (iso === null ? null : dayOf(facts, iso));
  const f = toCompletionFigures(completion);
  const view = toOutcomesView(outcomes);
  // Taken at the snapshot's event time (when its last event was recorded), so a
  // replay of the same events publishes the same snapshot; only day counts, no dates.
  const engagement = engagementAt(
    courseEngagementBasis(completion, view),
    parseInstant(completion.recordedAt) ?? facts.enrolledAtMs,
  );
  const point = (p: OutcomePoint | null) =>
    p && {
      assessmentId: p.assessmentId,
      score: p.score,
      severity: p.severity,
      day: dayOf(facts, p.administeredAt),
    };
  const instrument = (o: InstrumentOutcome) => ({
    baseline: point(o.baseline),
    endpoint: point(o.endpoint),
    followUp: point(o.followUp),
    change: o.change,
    percentChange: o.percentChange,
    response: o.response,
    remission: o.remission,
    reliableImprovement: o.reliableImprovement,
    reliableDeterioration: o.reliableDeterioration,
    caseAtBaseline: o.caseAtBaseline,
    recovery: o.recovery,
    reliableRecovery: o.reliableRecovery,
  });
  const flag = (r: RiskFlagView) => ({
    flagId: r.flagId,
    assessmentId: r.assessmentId,
    instrument: r.instrument,
    item: r.item,
    score: r.score,
    raisedDay: dayOf(facts, r.raisedAt),
    status: r.status,
    resolvedDay: day(r.resolvedAt),
    disposition: r.disposition,
  });
  const instruments: CourseOutcomesSnapshot['outcomes']['instruments'] = {};
  for (const [name, o] of Object.entries(view.instruments) as [Instrument, InstrumentOutcome][]) {
    instruments[name] = instrument(o);
  }
  // Field by field, like the CloudEvents: no patientRef, no phi, no exact time.
  return {
    courseId: track.courseId,
    clinicId: track.clinicId,
    subjectId: facts.subjectId,
    therapistId: completion.therapistId,
    revision: track.revision,
    enrolledYear: new Date(facts.enrolledAtMs).getUTCFullYear(),
    completion: {
      status: f.status,
      plannedSessions: f.plannedSessions,
      sessionsHeld: f.sessionsHeld,
      sessionsMissed: f.sessionsMissed,
      attendanceRate: f.attendanceRate,
      phase: f.phase,
      problemArea: f.problemArea,
      homeworkAssigned: f.homeworkAssigned,
      homeworkSubmitted: f.homeworkSubmitted,
      homeworkCompletionRate: f.homeworkCompletionRate,
      openRiskFlags: f.openRiskFlags,
      firstSessionDay: day(f.firstSessionAt),
      lastSessionDay: day(f.lastSessionAt),
      completedDay: day(f.completedAt),
      withdrawnDay: day(f.withdrawnAt),
      withdrawalReason: f.withdrawalReason,
      weeksInTreatment: f.weeksInTreatment,
      protocolComplete: f.protocolComplete,
      earlyTermination: f.earlyTermination,
      dropout: f.dropout,
      engagement: engagement && {
        patientMissedSinceLastSession: engagement.patientMissedSinceLastSession,
        daysSinceLastContact: engagement.daysSinceLastContact,
        reasons: [...engagement.reasons],
        atRisk: engagement.atRisk,
      },
    },
    outcomes: { instruments, riskFlags: view.riskFlags.map(flag) },
  };
}
