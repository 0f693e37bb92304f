/**
 * Read model "outcomes" (domain.md): per instrument the baseline, endpoint
 * and follow-up forms and the change figures between them, plus every risk
 * flag. Corrections replace the original items, total and severity (rule 17);
 * the history keeps both. A pure fold, shared by the projection and by the
 * audit "state as of" route.
 */
import {
  INSTRUMENTS,
  instrumentDefinition,
  isCase,
  meetsRemission,
  parseInstant,
  type CourseEvent,
  type Instrument,
  type RiskDisposition,
  type Severity,
  type Timepoint,
} from '@ipt/course';
import type { EventRecording } from './recording';

export interface OutcomeAssessment {
  assessmentId: string;
  instrument: Instrument;
  timepoint: Timepoint;
  administeredAt: string;
  /** Revision of the AssessmentRecorded event: breaks ties of administeredAt. */
  revision: number;
  /** Current items, total and severity: the latest correction's, else the original. */
  items: (number | null)[];
  total: number | null;
  severity: Severity | null;
  scoringScheme: string;
  /** Revision of the latest correction applied, null when never corrected. */
  correctedAtRevision: number | null;
}

export interface RiskFlagView {
  flagId: string;
  assessmentId: string;
  instrument: Instrument;
  item: number;
  score: number;
  raisedAt: string;
  status: 'open' | 'resolved';
  resolvedAt: string | null;
  disposition: RiskDisposition | null;
}

export interface CourseOutcomesState {
  courseId: string;
  revision: number;
  recordedAt: string;
  /** In stream order. */
  assessments: OutcomeAssessment[];
  /** In the order raised. */
  riskFlags: RiskFlagView[];
}

export interface OutcomePoint {
  assessmentId: string;
  score: number;
  severity: Severity | null;
  administeredAt: string;
}

export interface InstrumentOutcome {
  baseline: OutcomePoint;
  endpoint: OutcomePoint | null;
  followUp: OutcomePoint | null;
  change: number | null;
  percentChange: number | null;
  response: boolean | null;
  remission: boolean | null;
  reliableImprovement: boolean | null;
  reliableDeterioration: boolean | null;
  caseAtBaseline: boolean;
  recovery: boolean | null;
  reliableRecovery: boolean | null;
}

export interface CourseOutcomesView {
  courseId: string;
  revision: number;
  /** Only instruments with at least one scored form (total not null). */
  instruments: Partial<Record<Instrument, InstrumentOutcome>>;
  riskFlags: RiskFlagView[];
}

export const initialOutcomesState: CourseOutcomesState | null = null;

export function evolveOutcomes(
  state: CourseOutcomesState | null,
  event: CourseEvent,
  meta: EventRecording,
): CourseOutcomesState | null {
  if (event.type === 'PatientEnrolled') {
    if (state) return state;
    return {
      courseId: event.data.courseId,
      revision: meta.revision,
      recordedAt: meta.recordedAt,
      assessments: [],
      riskFlags: [],
    };
  }
  // Nothing before enrollment; an event already folded in (a replay) changes nothing.
  if (!state || meta.revision <= state.revision) return state;
  const next: CourseOutcomesState = {
    ...state,
    revision: meta.revision,
    recordedAt: meta.recordedAt,
  };

  switch (event.type) {
    case 'AssessmentRecorded': {
      const d = event.data;
      next.assessments = [
        ...state.assessments,
        {
          assessmentId: d.assessmentId,
          instrument: d.instrument,
          timepoint: d.timepoint,
          administeredAt: d.administeredAt,
          revision: meta.revision,
          items: d.items,
          total: d.total,
          severity: d.severity,
          scoringScheme: d.scoringScheme,
          correctedAtRevision: null,
        },
      ];
      break;
    }
    case 'AssessmentCorrected': {
      const d = event.data;
      next.assessments = state.assessments.map((a) =>
        a.assessmentId === d.assessmentId
          ? {
              ...a,
              items: d.items,
              total: d.total,
              severity: d.severity,
              scoringScheme: d.scoringScheme,
              correctedAtRevision: meta.revision,
            }
          : a,
      );
      break;
    }
    case 'RiskFlagRaised': {
      const d = event.data;
      next.riskFlags = [
        ...state.riskFlags,
        {
          flagId: d.flagId,
          assessmentId: d.assessmentId,
          instrument: d.instrument,
          item: d.item,
          score: d.score,
          raisedAt: d.raisedAt,
          status: 'open',
          resolvedAt: null,
          disposition: null,
        },
      ];
      break;
    }
    case 'RiskFlagResolved': {
      const d = event.data;
      next.riskFlags = state.riskFlags.map((f) =>
        f.flagId === d.flagId
          ? { ...f, status: 'resolved', resolvedAt: d.resolvedAt, disposition: d.disposition }
          : f,
      );
      break;
    }
    case 'ProblemAreaSelected':
    case 'SessionHeld':
    case 'SessionMissed':
    case 'HomeworkAssigned':
    case 'HomeworkSubmitted':
    case 'PatientWithdrawn':
    case 'CourseCompleted':
    case 'PersonalDataErased':
      // Not an outcome; only the view's revision moves.
      break;
    default: {
      const unhandled: never = event;
      void unhandled;
    }
  }
  return next;
}

const point = (a: OutcomeAssessment & { total: number }): OutcomePoint => ({
  assessmentId: a.assessmentId,
  score: a.total,
  severity: a.severity,
  administeredAt: a.administeredAt,
});

const instant = (a: OutcomeAssessment): number => parseInstant(a.administeredAt) ?? 0;

/**
 * The outcome figures of one instrument over its forms, or null when none of
 * them is scored (a form with a null item is left out of every figure).
 */
export function instrumentOutcome(
  instrument: Instrument,
  assessments: readonly OutcomeAssessment[],
): InstrumentOutcome | null {
  const scored = assessments
    .filter(
      (a): a is OutcomeAssessment & { total: number } =>
        a.instrument === instrument && a.total !== null,
    )
    .sort((a, b) => instant(a) - instant(b) || a.revision - b.revision);
  if (scored.length === 0) return null;

  let baselineIndex = scored.findIndex((a) => a.timepoint === 'baseline');
  if (baselineIndex < 0) baselineIndex = 0;
  const baseline = scored[baselineIndex];
  const endpoint =
    scored
      .slice(baselineIndex + 1)
      .reverse()
      .find((a) => a.timepoint !== 'follow_up') ?? null;
  const followUp = [...scored].reverse().find((a) => a.timepoint === 'follow_up') ?? null;

  const def = instrumentDefinition(instrument);
  const caseAtBaseline = isCase(instrument, baseline.total);
  const outcome: InstrumentOutcome = {
    baseline: point(baseline),
    endpoint: endpoint && point(endpoint),
    followUp: followUp && point(followUp),
    change: null,
    percentChange: null,
    response: null,
    remission: null,
    reliableImprovement: null,
    reliableDeterioration: null,
    caseAtBaseline,
    recovery: null,
    reliableRecovery: null,
  };
  if (!endpoint) return outcome;

  const change = baseline.total - endpoint.total;
  // One division of integers: the nearest double to the exact percentage (55, not 55.00000000000001).
  const percentChange = baseline.total === 0 ? null : (change * 100) / baseline.total;
  const reliableImprovement = change >= def.reliableChange;
  const recovery = caseAtBaseline && !isCase(instrument, endpoint.total);
  return {
    ...outcome,
    change,
    percentChange,
    // percentChange ≥ 50, decided on integers so rounding can never move the threshold.
    response: percentChange === null ? null : 2 * change >= baseline.total,
    remission: meetsRemission(instrument, endpoint.total),
    reliableImprovement,
    reliableDeterioration: -change >= def.reliableChange,
    recovery,
    reliableRecovery: recovery && reliableImprovement,
  };
}

export function toOutcomesView(s: CourseOutcomesState): CourseOutcomesView {
  const instruments: Partial<Record<Instrument, InstrumentOutcome>> = {};
  for (const instrument of INSTRUMENTS) {
    const outcome = instrumentOutcome(instrument, s.assessments);
    if (outcome) instruments[instrument] = outcome;
  }
  return { courseId: s.courseId, revision: s.revision, instruments, riskFlags: s.riskFlags };
}
