/**
 * The clinic is checked before a course stream is read in full (issue 8,
 * item 6): for another clinic's course the store is asked for one event, as
 * for a missing course, whatever the course's length. Runs on the real
 * embedded store; the reads it is asked for are recorded on the way.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { courseStreamId } from '@ipt/course';
import { SqliteEventStore, type EventStore, type ReadStreamOptions } from '@ipt/event-store';
import { CourseStreams } from '../courses/course-streams';
import { courseBelongsTo, readCourseEvents } from './course-events';
import { CourseNotFound } from './errors';

/** The real store, with every readStream call it receives written down. */
function recorded(store: EventStore): { store: EventStore; reads: ReadStreamOptions[] } {
  const reads: ReadStreamOptions[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'readStream')
        return (streamId: string, options: ReadStreamOptions = {}) => {
          reads.push(options);
          return target.readStream(streamId, options);
        };
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, reads };
}

describe('reading a course for a caller', () => {
  let dir: string;
  let real: SqliteEventStore;
  const courseId = randomUUID();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-course-events-'));
    real = new SqliteEventStore(path.join(dir, 'events.sqlite'));
    // A long course of clinic A: 300 events (their content does not matter to the check).
    const events = Array.from({ length: 300 }, (_, i) => ({
      eventId: randomUUID(),
      type: i === 0 ? 'PatientEnrolled' : 'SessionHeld',
      data: { n: i },
      metadata: { clinicId: 'clinic-a', schemaVersion: 1 },
    }));
    await real.appendToStream(courseStreamId(courseId), events, { expectedRevision: 'no_stream' });
  });

  afterAll(async () => {
    await real.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads one event for another clinic’s course, as for a missing one, and refuses both alike', async () => {
    for (const id of [courseId, randomUUID()]) {
      const { store, reads } = recorded(real);
      await expect(readCourseEvents(store, 'clinic-b', id)).rejects.toBeInstanceOf(CourseNotFound);
      expect(reads).toEqual([{ maxCount: 1 }]);
      expect(await courseBelongsTo(store, 'clinic-b', id)).toBe(false);
    }
  });

  it('reads the rest only for the caller’s own course', async () => {
    const { store, reads } = recorded(real);
    const events = await readCourseEvents(store, 'clinic-a', courseId);
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(reads).toEqual([{ maxCount: 1 }, { fromRevision: 1 }]);
  });

  it('the command side loads another clinic’s course one event deep and does not keep it', async () => {
    const { store, reads } = recorded(real);
    const streams = new CourseStreams(store);
    const loaded = await streams.load(courseStreamId(courseId), 'clinic-b');
    expect(loaded.clinicId).toBe('clinic-a');
    expect(reads).toEqual([{ maxCount: 1 }]);
    expect(streams.cached(courseStreamId(courseId))).toBeUndefined();
  });
});
