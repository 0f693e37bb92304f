/**
 * Time travel (domain.md): a course "as of" a revision or an instant is the
 * fold of its events up to that revision, or up to the last event recorded at
 * or before that instant — with the same folds the projections use.
 */
import { parseInstant, type CourseEvent } from '@ipt/course';
import {
  evolveCompletion,
  initialCompletionState,
  type CourseCompletionState,
} from './course-completion';
import {
  evolveOutcomes,
  initialOutcomesState,
  toOutcomesView,
  type CourseOutcomesState,
  type CourseOutcomesView,
} from './course-outcomes';
import { toCourseView, type CourseView } from './course-view';
import type { EventRecording } from './recording';

export interface RecordedCourseEvent {
  event: CourseEvent;
  meta: EventRecording;
}

export type AsOf = { revision: number } | { instant: string };

export interface CourseAsOf {
  /** The revision of the last event folded in. */
  revision: number;
  /**
   * Its engagement is taken at the point asked for: the instant of `asOf`, or,
   * for a revision, the moment that revision was recorded.
   */
  course: CourseView;
  outcomes: CourseOutcomesView;
}

/**
 * The views after the events (in stream order) up to `asOf`; null when no
 * enrollment falls within it (the course did not exist yet).
 */
export function courseAsOf(events: Iterable<RecordedCourseEvent>, asOf: AsOf): CourseAsOf | null {
  const all = [...events];
  let end: number; // index after the last event to fold
  let pointMs: number | null = null; // the time of the request, for a revision: set below
  if ('revision' in asOf) {
    end = all.findIndex((e) => e.meta.revision > asOf.revision);
    if (end < 0) end = all.length;
  } else {
    const until = parseInstant(asOf.instant);
    if (until === null) throw new RangeError('asOf must be an ISO 8601 instant');
    pointMs = until;
    // "Up to the last event recorded at or before the instant", even if a clock step
    // ever made recordedAt go backwards inside the stream.
    end = 0;
    all.forEach((e, i) => {
      const at = parseInstant(e.meta.recordedAt);
      if (at !== null && at <= until) end = i + 1;
    });
  }
  let completion: CourseCompletionState | null = initialCompletionState;
  let outcomes: CourseOutcomesState | null = initialOutcomesState;
  for (const { event, meta } of all.slice(0, end)) {
    completion = evolveCompletion(completion, event, meta);
    outcomes = evolveOutcomes(outcomes, event, meta);
  }
  if (!completion || !outcomes) return null;
  pointMs ??= parseInstant(completion.recordedAt) ?? 0;
  return {
    revision: completion.revision,
    course: toCourseView(completion, outcomes, pointMs),
    outcomes: toOutcomesView(outcomes),
  };
}
