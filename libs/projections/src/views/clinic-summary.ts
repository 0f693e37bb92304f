/**
 * Read model "clinic summary" (domain.md). Defined in three steps so that a
 * SQL store can compute the same figures without loading whole views:
 *   summaryContribution(course)  → one row per course (and per instrument);
 *   addContribution(tally, row)  → counts (SQL: SUM / COUNT over those rows);
 *   summaryFromTally(tally)      → the rates.
 * summarizeClinic is exactly these three steps over a list of courses.
 */
import { INSTRUMENTS, type CourseStatus, type Instrument } from '@ipt/course';
import type { CourseCompletionFigures } from './course-completion';
import type { CourseOutcomesView } from './course-outcomes';
import type { Engagement } from './engagement';

export interface InstrumentContribution {
  response: boolean | null;
  remission: boolean | null;
  reliableImprovement: boolean | null;
}

/** What one course adds to its clinic's summary. */
export interface CourseSummaryContribution {
  status: CourseStatus;
  protocolComplete: boolean;
  dropout: boolean;
  /** Only instruments the course has a scored form of. */
  instruments: Partial<Record<Instrument, InstrumentContribution>>;
}

/** A rate's numerator (count true) and denominator (count non-null). */
export interface RateTally {
  positive: number;
  known: number;
}

export interface InstrumentTally {
  response: RateTally;
  remission: RateTally;
  reliableImprovement: RateTally;
}

export interface ClinicSummaryTally {
  total: number;
  active: number;
  completed: number;
  withdrawn: number;
  protocolComplete: number;
  dropout: number;
  instruments: Partial<Record<Instrument, InstrumentTally>>;
}

export interface InstrumentRates {
  responseRate: number | null;
  remissionRate: number | null;
  reliableImprovementRate: number | null;
}

export interface ClinicSummary {
  clinicId: string;
  courses: { total: number; active: number; completed: number; withdrawn: number };
  /** Active courses at risk of dropout at the time of the request (domain.md, engagement). */
  atRisk: number;
  protocolCompletionRate: number | null;
  dropoutRate: number | null;
  instruments: Partial<Record<Instrument, InstrumentRates>>;
}

export interface ClinicCourse {
  completion: Pick<CourseCompletionFigures, 'status' | 'protocolComplete' | 'dropout'>;
  outcomes: Pick<CourseOutcomesView, 'instruments'>;
  /** The course's engagement at the time of the summary (null when closed). */
  engagement?: Pick<Engagement, 'atRisk'> | null;
}

export function summaryContribution(
  completion: ClinicCourse['completion'],
  outcomes: ClinicCourse['outcomes'],
): CourseSummaryContribution {
  const instruments: Partial<Record<Instrument, InstrumentContribution>> = {};
  for (const instrument of INSTRUMENTS) {
    const o = outcomes.instruments[instrument];
    if (o) {
      instruments[instrument] = {
        response: o.response,
        remission: o.remission,
        reliableImprovement: o.reliableImprovement,
      };
    }
  }
  return {
    status: completion.status,
    protocolComplete: completion.protocolComplete,
    dropout: completion.dropout,
    instruments,
  };
}

export const emptyClinicTally = (): ClinicSummaryTally => ({
  total: 0,
  active: 0,
  completed: 0,
  withdrawn: 0,
  protocolComplete: 0,
  dropout: 0,
  instruments: {},
});

const addRate = (t: RateTally, value: boolean | null): RateTally =>
  value === null ? t : { positive: t.positive + (value ? 1 : 0), known: t.known + 1 };

const emptyRate: RateTally = { positive: 0, known: 0 };

export function addContribution(
  t: ClinicSummaryTally,
  c: CourseSummaryContribution,
): ClinicSummaryTally {
  const instruments = { ...t.instruments };
  for (const instrument of INSTRUMENTS) {
    const ic = c.instruments[instrument];
    if (!ic) continue;
    const it = instruments[instrument] ?? {
      response: emptyRate,
      remission: emptyRate,
      reliableImprovement: emptyRate,
    };
    instruments[instrument] = {
      response: addRate(it.response, ic.response),
      remission: addRate(it.remission, ic.remission),
      reliableImprovement: addRate(it.reliableImprovement, ic.reliableImprovement),
    };
  }
  return {
    total: t.total + 1,
    active: t.active + (c.status === 'active' ? 1 : 0),
    completed: t.completed + (c.status === 'completed' ? 1 : 0),
    withdrawn: t.withdrawn + (c.status === 'withdrawn' ? 1 : 0),
    protocolComplete: t.protocolComplete + (c.protocolComplete ? 1 : 0),
    dropout: t.dropout + (c.dropout ? 1 : 0),
    instruments,
  };
}

const rate = (positive: number, of: number): number | null => (of === 0 ? null : positive / of);

/**
 * `atRisk` depends on the time of the request, so it is not part of the
 * stored tally: the caller counts it (SQL: a range query on the last contact).
 */
export function summaryFromTally(
  clinicId: string,
  t: ClinicSummaryTally,
  atRisk: number,
): ClinicSummary {
  const closed = t.completed + t.withdrawn;
  const instruments: Partial<Record<Instrument, InstrumentRates>> = {};
  for (const instrument of INSTRUMENTS) {
    const it = t.instruments[instrument];
    // An instrument appears once any course has a scored form of it, even if no rate is known yet.
    if (it) {
      instruments[instrument] = {
        responseRate: rate(it.response.positive, it.response.known),
        remissionRate: rate(it.remission.positive, it.remission.known),
        reliableImprovementRate: rate(
          it.reliableImprovement.positive,
          it.reliableImprovement.known,
        ),
      };
    }
  }
  return {
    clinicId,
    courses: { total: t.total, active: t.active, completed: t.completed, withdrawn: t.withdrawn },
    atRisk,
    protocolCompletionRate: rate(t.protocolComplete, closed),
    dropoutRate: rate(t.dropout, closed),
    instruments,
  };
}

export function summarizeClinic(clinicId: string, courses: readonly ClinicCourse[]): ClinicSummary {
  const tally = courses
    .map((c) => summaryContribution(c.completion, c.outcomes))
    .reduce(addContribution, emptyClinicTally());
  const atRisk = courses.filter((c) => c.engagement?.atRisk === true).length;
  return summaryFromTally(clinicId, tally, atRisk);
}
