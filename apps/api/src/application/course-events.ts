/**
 * Reading a course's events on behalf of a caller. The clinic is checked on
 * the stream's first event before anything else is read, so another clinic's
 * course costs what a missing one costs: its size and existence do not show
 * in the time of the answer (issue 8).
 */
import { clinicOf, courseStreamId } from '@ipt/course';
import type { EventStore, RecordedEvent } from '@ipt/event-store';
import { CourseNotFound } from './errors';

/** True when the course exists and belongs to the clinic; reads one event. */
export async function courseBelongsTo(
  store: EventStore,
  clinicId: string,
  courseId: string,
): Promise<boolean> {
  return (await firstEventOf(store, clinicId, courseId)) !== undefined;
}

/** Every event of the caller's course, in order; CourseNotFound for a missing or foreign one. */
export async function readCourseEvents(
  store: EventStore,
  clinicId: string,
  courseId: string,
): Promise<RecordedEvent[]> {
  const first = await firstEventOf(store, clinicId, courseId);
  if (!first) throw new CourseNotFound();
  const rest = await store.readStream(courseStreamId(courseId), { fromRevision: 1 });
  return [first, ...rest];
}

async function firstEventOf(
  store: EventStore,
  clinicId: string,
  courseId: string,
): Promise<RecordedEvent | undefined> {
  const [first] = await store.readStream(courseStreamId(courseId), { maxCount: 1 });
  return first !== undefined && clinicOf(first) === clinicId ? first : undefined;
}
