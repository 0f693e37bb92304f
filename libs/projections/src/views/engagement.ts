/**
 * Engagement (domain.md, "Engagement: catching a dropout early"): the signs of
 * a coming dropout on an active course. In two steps, so that nothing that
 * depends on the time of reading is ever stored:
 *   engagementBasis(course folds) → what the facts say (stored with the view);
 *   engagementAt(basis, now)      → the object of the course view, finished
 *                                   with the reader's clock.
 */
import { DAY_MS, parseInstant } from '@ipt/course';
import type { CourseCompletionState } from './course-completion';
import type { CourseOutcomesView } from './course-outcomes';

/** In the order domain.md lists them: `reasons` keeps this order. */
export const ENGAGEMENT_REASONS = [
  'missed_sessions',
  'no_recent_session',
  'homework_not_done',
  'deteriorating',
] as const;
export type EngagementReason = (typeof ENGAGEMENT_REASONS)[number];

/** The reasons that do not depend on the time of reading. */
export type StandingReason = Exclude<EngagementReason, 'no_recent_session'>;

/** The [D] thresholds of domain.md. */
export const ENGAGEMENT_THRESHOLDS = {
  /** missed_sessions: at least this many patient-caused misses since the last held session. */
  missedSessions: 2,
  /** no_recent_session: more than this many whole days without a held session (or since enrollment). */
  daysWithoutContact: 14,
  /** homework_not_done: at least this many assigned ... */
  homeworkAssigned: 2,
  /** ... and a completion rate below this. */
  homeworkCompletionRate: 0.5,
} as const;

/** What the facts of an active course say about its engagement, whatever the time. */
export interface EngagementBasis {
  /** lastSessionAt, or enrolledAt when no session was held, as epoch milliseconds. */
  lastContactMs: number;
  patientMissedSinceLastSession: number;
  /** In ENGAGEMENT_REASONS order. */
  standingReasons: StandingReason[];
}

/** The `engagement` object of the course view. */
export interface Engagement {
  patientMissedSinceLastSession: number;
  daysSinceLastContact: number;
  reasons: EngagementReason[];
  atRisk: boolean;
}

/** The basis of an active course; null for a closed one (its view has `engagement: null`). */
export function engagementBasis(
  completion: CourseCompletionState,
  outcomes: Pick<CourseOutcomesView, 'instruments'>,
): EngagementBasis | null {
  if (completion.status !== 'active') return null;
  const t = ENGAGEMENT_THRESHOLDS;
  const standingReasons: StandingReason[] = [];
  if (completion.patientMissedSinceLastSession >= t.missedSessions)
    standingReasons.push('missed_sessions');
  // submitted / assigned < 0.5, on integers so rounding never moves the threshold.
  if (
    completion.homeworkAssigned >= t.homeworkAssigned &&
    completion.homeworkSubmitted < completion.homeworkAssigned * t.homeworkCompletionRate
  )
    standingReasons.push('homework_not_done');
  if (Object.values(outcomes.instruments).some((o) => o?.reliableDeterioration === true))
    standingReasons.push('deteriorating');
  const lastContactMs = parseInstant(completion.lastSessionAt ?? completion.enrolledAt);
  // Stored times were validated and normalised on the way in.
  if (lastContactMs === null) throw new RangeError('the course has no valid last contact time');
  return {
    lastContactMs,
    patientMissedSinceLastSession: completion.patientMissedSinceLastSession,
    standingReasons,
  };
}

/**
 * Whole days from the last contact to `nowMs`. A session may be recorded up to
 * five minutes ahead of the server clock (rule 14): that counts as 0, not -1.
 */
export function daysSinceLastContact(basis: Pick<EngagementBasis, 'lastContactMs'>, nowMs: number) {
  return Math.max(0, Math.floor((nowMs - basis.lastContactMs) / DAY_MS));
}

/**
 * The latest last-contact instant that makes a course `no_recent_session` at
 * `nowMs`: daysSinceLastContact > 14 ⇔ lastContactMs ≤ this. Queries use it
 * as a range bound on the stored last contact.
 */
export function noRecentSessionBound(nowMs: number): number {
  return nowMs - (ENGAGEMENT_THRESHOLDS.daysWithoutContact + 1) * DAY_MS;
}

/** The `engagement` object at `nowMs`; null for a closed course. */
export function engagementAt(basis: EngagementBasis | null, nowMs: number): Engagement | null {
  if (!basis) return null;
  const days = daysSinceLastContact(basis, nowMs);
  const reasons: EngagementReason[] = ENGAGEMENT_REASONS.filter((reason) =>
    reason === 'no_recent_session'
      ? days > ENGAGEMENT_THRESHOLDS.daysWithoutContact
      : basis.standingReasons.includes(reason),
  );
  return {
    patientMissedSinceLastSession: basis.patientMissedSinceLastSession,
    daysSinceLastContact: days,
    reasons,
    atRisk: reasons.length > 0,
  };
}
