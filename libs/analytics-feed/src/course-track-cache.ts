/**
 * The relay's fold state per course: what Kafka has committed (a bounded LRU),
 * and what batches prepared but not yet committed have folded ahead of it.
 * The committed cache only takes what Kafka committed, so an aborted
 * transaction never leaves its fold state behind.
 */
import { LRUCache } from 'lru-cache';
import type { EventStore, RecordedEvent } from '@ipt/event-store';
import { emptyCourseTrack, evolveCourseTrack, type CourseTrack } from './course-track';

export class CourseTrackCache {
  private readonly committed: LRUCache<string, CourseTrack>;
  /** Fold states of batches prepared but not yet committed. */
  private readonly ahead = new Map<string, CourseTrack>();

  constructor(
    private readonly store: EventStore,
    size: number,
  ) {
    // lru-cache needs a bound of at least one.
    this.committed = new LRUCache({ max: Math.max(1, size) });
  }

  /** The course's fold state just before `recorded`: from the cache, or re-read from its stream on a miss. */
  async before(courseId: string, recorded: RecordedEvent): Promise<CourseTrack> {
    const cached = this.ahead.get(courseId) ?? this.committed.get(courseId);
    if (cached && cached.revision === recorded.revision - 1) return cached;
    let track = emptyCourseTrack(courseId);
    if (recorded.revision > 0) {
      const earlier = await this.store.readStream(recorded.streamId, {
        maxCount: recorded.revision,
      });
      for (const e of earlier) track = evolveCourseTrack(track, e);
    }
    return track;
  }

  /** A prepared batch folded the course to `track`. */
  prepared(courseId: string, track: CourseTrack): void {
    this.ahead.set(courseId, track);
  }

  /** Kafka committed the batch that folded these courses. */
  committedBatch(touched: Map<string, CourseTrack>): void {
    for (const [courseId, track] of touched) {
      this.committed.set(courseId, track);
      if (this.ahead.get(courseId) === track) this.ahead.delete(courseId);
    }
  }

  /** The batches in flight will not commit (or will be re-read from the checkpoint). */
  dropPrepared(): void {
    this.ahead.clear();
  }

  /** A new session resumes from Kafka's checkpoint: forget everything. */
  clear(): void {
    this.committed.clear();
    this.ahead.clear();
  }
}
