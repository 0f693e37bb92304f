/**
 * The decision state of courses, kept folded between commands. Each load
 * reads only the events after the cached revision, so a command costs one
 * short read however long the course is, and writes by other processes (a
 * second API instance on EventStoreDB) are still seen before deciding. The
 * append's expected revision remains the guard against races.
 */
import {
  assessmentAnswer,
  clinicOf,
  decodeCourseEvent,
  withoutPhi,
  evolve,
  initialCourseState,
  type CourseEvent,
  type CourseState,
} from '@ipt/course';
import { GENESIS_HASH } from '@ipt/audit';
import { LRUCache } from 'lru-cache';
import type { EventStore, RecordedEvent } from '@ipt/event-store';
import type { CommandAnswer } from './idempotency-records';

/** The events one keyed command recorded: enough to give its answer again. */
interface KeyedCommand {
  commandId: string;
  commandType: string;
  requestDigest: string;
  events: RevisedEvent[];
}

/** A decoded event and its stream revision. */
export interface RevisedEvent {
  event: CourseEvent;
  revision: number;
}

export interface LoadedCourse {
  /** True when read from the store just now; false when taken from the cache unchecked. */
  fresh: boolean;
  state: CourseState;
  /** Last revision; undefined when the stream does not exist. */
  revision: number | undefined;
  clinicId: string | undefined;
  /** Idempotency keys found in the stream, by key. */
  keyed: Map<string, KeyedCommand>;
  /** The `hash` of the last event (audit.md §1): the next event's `prevHash`. */
  lastHash: string;
  /** True once an event of the course holds a sealed `phi` (the course has a key). */
  sealed: boolean;
}

const EMPTY: LoadedCourse = {
  fresh: true,
  state: initialCourseState,
  revision: undefined,
  clinicId: undefined,
  keyed: new Map(),
  lastHash: GENESIS_HASH,
  sealed: false,
};

export class CourseStreams {
  private readonly cache: LRUCache<string, LoadedCourse>;

  constructor(
    private readonly store: EventStore,
    maxCourses = 20000,
  ) {
    this.cache = new LRUCache({ max: maxCourses });
  }

  /**
   * The cached state without reading the store. Deciding on it is safe for
   * acceptance (the append's expected revision refuses a stale decision);
   * a refusal computed from it must be checked again on a fresh `load`.
   */
  cached(streamId: string): LoadedCourse | undefined {
    const course = this.cache.get(streamId);
    return course && { ...course, fresh: false };
  }

  /** Folds the events this process just appended into the cached state. */
  appended(streamId: string, before: LoadedCourse, events: RecordedEventLike[]): void {
    const course = this.advanced(streamId, before, events);
    if (events.length > 0) course.clinicId ??= clinicOf({ streamId, ...events[0] });
    this.adopt(streamId, before, course);
  }

  /** The course after events about to be appended, not cached: what the next command of a batch decides on. */
  advanced(streamId: string, before: LoadedCourse, events: RecordedEventLike[]): LoadedCourse {
    const course: LoadedCourse = { ...before };
    this.fold(streamId, course, events);
    return course;
  }

  /**
   * Caches `after`, the course `advanced` past events this process has now
   * appended onto `before`, unless the cache moved on meanwhile (the next load reads it).
   */
  adopt(streamId: string, before: LoadedCourse, after: LoadedCourse): void {
    const cached = this.cache.get(streamId);
    if (cached && cached.revision !== before.revision) return;
    this.remember(streamId, { ...after, fresh: false });
  }

  /**
   * Reads what the cache lacks. A course not cached is first read one event
   * deep: a course of another clinic than `clinicId` is answered from its
   * first event alone, so its size never shows in the time of a refusal.
   */
  async load(streamId: string, clinicId: string): Promise<LoadedCourse> {
    const cached = this.cache.get(streamId);
    if (!cached) {
      const [first] = await this.store.readStream(streamId, { maxCount: 1 });
      if (!first) return EMPTY;
      const owner = clinicOf(first);
      if (owner !== clinicId) return { ...EMPTY, revision: first.revision, clinicId: owner };
    }
    const from = cached?.revision === undefined ? 0 : cached.revision + 1;
    const events = await this.store.readStream(streamId, { fromRevision: from });
    if (!cached && events.length === 0) return EMPTY;
    // Copy-on-write: concurrent commands may hold the previous entry.
    const course: LoadedCourse = cached
      ? { ...cached, fresh: true }
      : { ...EMPTY, keyed: new Map(), clinicId: clinicOf(events[0]) };
    this.fold(streamId, course, events);
    this.remember(streamId, course);
    return course;
  }

  private fold(streamId: string, course: LoadedCourse, events: RecordedEventLike[]): void {
    // Copy-on-write: concurrent commands may hold the previous entry.
    if (events.some((e) => e.metadata.idempotencyKey)) course.keyed = new Map(course.keyed);
    for (const event of events) {
      // Deciding never needs PHI: the fold holds none and needs no course key.
      const decoded = decodeCourseEvent(withoutPhi({ streamId, ...event }));
      course.state = evolve(course.state, decoded);
      course.revision = event.revision;
      course.lastHash =
        typeof event.metadata.hash === 'string' ? event.metadata.hash : GENESIS_HASH;
      const phi = event.data.phi;
      if (phi !== null && typeof phi === 'object' && 'ct' in phi) course.sealed = true;
      const key = event.metadata.idempotencyKey;
      if (typeof key === 'string')
        rememberKeyed(course.keyed, key, event, { event: decoded, revision: event.revision });
    }
  }

  /** Forgets a course whose cached state may be behind (after a lost race). */
  forget(streamId: string): void {
    this.cache.delete(streamId);
  }

  private remember(streamId: string, course: LoadedCourse): void {
    this.cache.set(streamId, { ...course, fresh: false });
  }
}

export type RecordedEventLike = Pick<RecordedEvent, 'type' | 'data' | 'metadata' | 'revision'>;

function rememberKeyed(
  keyed: Map<string, KeyedCommand>,
  key: string,
  event: RecordedEventLike,
  entry: RevisedEvent,
): void {
  const commandId = String(event.metadata.commandId);
  const known = keyed.get(key);
  if (known && known.commandId === commandId) {
    known.events = [...known.events, entry];
    return;
  }
  if (known) return; // the key's first command wins; a later reuse was refused before appending
  keyed.set(key, {
    commandId,
    commandType: String(event.metadata.commandType),
    requestDigest: String(event.metadata.requestDigest),
    events: [entry],
  });
}

/** The answer of a command, from the events it recorded (fresh, or found again on replay). */
export function answerOf(
  commandType: string,
  courseId: string,
  requestDigest: string,
  events: readonly RevisedEvent[],
): CommandAnswer {
  const body: CommandAnswer['body'] = {
    courseId,
    revision: events[events.length - 1].revision,
    ...assessmentAnswer(events.map((e) => e.event)),
  };
  return { status: commandType === 'EnrollPatient' ? 201 : 200, body, requestDigest };
}

export function answerOfKeyed(courseId: string, command: KeyedCommand): CommandAnswer {
  return answerOf(command.commandType, courseId, command.requestDigest, command.events);
}

/** The decoded events of a stream, with their revisions. */
export function revisedEvents(streamId: string, events: RecordedEventLike[]): RevisedEvent[] {
  return events.map((e) => ({
    event: decodeCourseEvent(withoutPhi({ streamId, ...e })),
    revision: e.revision,
  }));
}
