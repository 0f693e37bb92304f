/**
 * A generated clinic for the read-model tests: course i is enrolled (i mod 40)
 * days before NOW with one of several histories, so every engagement reason
 * (and none) occurs; every tenth course belongs to another clinic.
 */
import { DAY_MS, MINUTE_MS, type CourseEvent } from '@ipt/course';
import type { RecordedEvent } from '@ipt/event-store';
import {
  assessed,
  completed,
  enrolled,
  held,
  homeworkAssigned,
  itemsTotalling,
  missed,
  withdrawn,
} from '../../../course/src/testing/fixtures';
import { evolveCourseFolds, initialCourseFolds, toCourseView, type CourseFolds } from '../views';

export const NOW = Date.parse('2025-06-02T12:00:00.000Z');
export const iso = (ms: number) => new Date(ms).toISOString();
export const courseIdOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * Course i of a generated clinic: enrolled (i mod 40) days before NOW, and
 * one of several histories, so every reason (and none) occurs.
 */
export function courseEvents(i: number): CourseEvent[] {
  const enrolledMs = NOW - (i % 40) * DAY_MS - i * MINUTE_MS;
  const t = (days: number) => iso(enrolledMs + days * DAY_MS);
  const events: CourseEvent[] = [
    enrolled({ courseId: courseIdOf(i), enrolledAt: iso(enrolledMs), therapistId: `t${i % 3}` }),
  ];
  switch (i % 7) {
    case 1:
      events.push(missed('did_not_attend', t(0)), missed('cancelled_by_patient', t(0)));
      break;
    case 2:
      events.push(held(1, t(0)), homeworkAssigned('a', 1), homeworkAssigned('b', 1));
      break;
    case 3:
      events.push(
        assessed('p0', 'PHQ-9', itemsTotalling('PHQ-9', 5), 'baseline', t(0)),
        assessed('p1', 'PHQ-9', itemsTotalling('PHQ-9', 11), 'session', t(0)),
      );
      break;
    case 4:
      events.push(held(1, t(0)), completed(t(0)));
      break;
    case 5:
      events.push(missed('did_not_attend', t(0)), withdrawn('lost_to_contact', t(0)));
      break;
    default:
      if (i % 40 > 0) events.push(held(1, t(i % 40 > 20 ? 1 : 0)));
  }
  return events;
}

export const recorded = (i: number): RecordedEvent[] =>
  courseEvents(i).map((e, revision) => ({
    streamId: `course-${courseIdOf(i)}`,
    revision,
    position: BigInt(i * 100 + revision + 1),
    eventId: `${courseIdOf(i).slice(0, -4)}${String(revision).padStart(4, '0')}`,
    type: e.type,
    data: e.data as unknown as Record<string, unknown>,
    metadata: {
      clinicId: i % 10 === 9 ? 'other-clinic' : 'clinic-1',
      recordedAt: iso(NOW),
      schemaVersion: 1,
    },
    created: new Date(NOW),
  }));

/** The pure rule, course by course: what every query must agree with. */
export function engagementOf(i: number, nowMs: number) {
  const folds = courseEvents(i).reduce<CourseFolds | null>(
    (s, e, revision) => evolveCourseFolds(s, e, { revision, recordedAt: iso(NOW) }),
    initialCourseFolds,
  );
  return toCourseView(folds!.completion!, folds!.outcomes, nowMs).engagement;
}
