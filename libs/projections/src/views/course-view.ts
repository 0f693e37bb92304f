/**
 * The course view of api.md: the completion view plus `engagement`, which
 * also reads the outcomes fold (reliable deterioration) and the time of the
 * request. The projection and the audit "state as of" route both fold the
 * same pair of states with these functions.
 */
import type { CourseEvent } from '@ipt/course';
import {
  evolveCompletion,
  initialCompletionState,
  toCompletionView,
  type CourseCompletionState,
  type CourseCompletionView,
} from './course-completion';
import {
  evolveOutcomes,
  initialOutcomesState,
  toOutcomesView,
  type CourseOutcomesState,
  type CourseOutcomesView,
} from './course-outcomes';
import { engagementAt, engagementBasis, type Engagement, type EngagementBasis } from './engagement';
import type { EventRecording } from './recording';

/** Both folds of one course. */
export interface CourseFolds {
  completion: CourseCompletionState | null;
  outcomes: CourseOutcomesState | null;
}

export const initialCourseFolds: CourseFolds | null = null;

export function evolveCourseFolds(
  state: CourseFolds | null,
  event: CourseEvent,
  recording: EventRecording,
): CourseFolds | null {
  const completion = evolveCompletion(
    state?.completion ?? initialCompletionState,
    event,
    recording,
  );
  const outcomes = evolveOutcomes(state?.outcomes ?? initialOutcomesState, event, recording);
  return completion || outcomes ? { completion, outcomes } : null;
}

export interface CourseView extends CourseCompletionView {
  /** null once the course is closed. */
  engagement: Engagement | null;
}

/** The engagement basis of a course from its two fold states (null when closed). */
export function courseEngagementBasis(
  completion: CourseCompletionState,
  outcomes: CourseOutcomesState | CourseOutcomesView | null,
): EngagementBasis | null {
  const view = outcomes && ('assessments' in outcomes ? toOutcomesView(outcomes) : outcomes);
  return engagementBasis(completion, view ?? { instruments: {} });
}

/** The course view at `nowMs` (the time of the request). */
export function toCourseView(
  completion: CourseCompletionState,
  outcomes: CourseOutcomesState | CourseOutcomesView | null,
  nowMs: number,
): CourseView {
  return {
    ...toCompletionView(completion),
    engagement: engagementAt(courseEngagementBasis(completion, outcomes), nowMs),
  };
}
