import type { CourseEvent } from '@ipt/course';
import {
  ENROLLED_AT,
  assessed,
  at,
  completed,
  enrolled,
  heldSessions,
  itemsTotalling,
} from '../../../course/src/testing/fixtures';
import { courseAsOf, type RecordedCourseEvent } from './course-as-of';

const recorded = (events: CourseEvent[]): RecordedCourseEvent[] =>
  events.map((event, revision) => ({
    event,
    meta: { revision, recordedAt: at(ENROLLED_AT, revision) },
  }));

describe('state as of', () => {
  const stream = recorded([
    enrolled(),
    assessed('b', 'PHQ-9', itemsTotalling('PHQ-9', 16), 'baseline'),
    ...heldSessions(2),
    completed(),
  ]);

  it('folds up to a revision', () => {
    const s = courseAsOf(stream, { revision: 2 })!;
    expect(s.revision).toBe(2);
    expect(s.course).toMatchObject({ status: 'active', sessionsHeld: 1, revision: 2 });
    expect(s.outcomes.instruments['PHQ-9']?.baseline.score).toBe(16);
    expect(courseAsOf(stream, { revision: 99 })!.course.status).toBe('completed');
  });

  it('folds up to the last event recorded at or before an instant', () => {
    // Revision n is recorded n days after enrollment.
    expect(courseAsOf(stream, { instant: at(ENROLLED_AT, 3) })!.revision).toBe(3);
    expect(courseAsOf(stream, { instant: at(ENROLLED_AT, 3, -1) })!.revision).toBe(2);
    expect(courseAsOf(stream, { instant: '2025-01-09T10:00:00+02:00' })!.revision).toBe(2);
  });

  it('is null before the enrollment was recorded', () => {
    expect(courseAsOf(stream, { instant: at(ENROLLED_AT, 0, -1) })).toBeNull();
    expect(courseAsOf(stream, { revision: -1 })).toBeNull();
  });

  it('equals the views folded event by event', () => {
    const full = courseAsOf(stream, { revision: 4 })!;
    expect(full.course).toMatchObject({ status: 'completed', sessionsHeld: 2, revision: 4 });
    expect(full.outcomes.revision).toBe(4);
  });
});
