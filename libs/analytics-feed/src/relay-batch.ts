/**
 * Batch building: a batch of recorded course events → the produce requests of
 * one Kafka transaction (CloudEvents, the touched courses' outcome snapshots,
 * the checkpoint), split by size; and the partitioner the producer uses.
 */
import { LRUCache } from 'lru-cache';
import { Partitioners, type ICustomPartitioner, type Message, type TopicMessages } from 'kafkajs';
import {
  COURSE_STREAM_PREFIX,
  decodeCourseEvent,
  withoutPhi,
  type EventMetadata,
} from '@ipt/course';
import type { RecordedEvent } from '@ipt/event-store';
import { SpanKind, contextOf, traceCarrier, trace, tracer, type Span } from '@ipt/telemetry';
import { CLOUD_EVENT_CONTENT_TYPE, toCloudEvent } from './cloud-event';
import { evolveCourseTrack, outcomeSnapshot, type CourseTrack } from './course-track';
import type { CourseTrackCache } from './course-track-cache';
import { checkpointMessage } from './relay-checkpoint';
import type { FeedTopics } from './topics';

export interface PreparedBatch {
  /** The produce requests of the transaction, in order; the last one carries the checkpoint. */
  requests: TopicMessages[][];
  touched: Map<string, CourseTrack>;
  /** Position of the batch's last event: the checkpoint once committed. */
  last: bigint;
  size: number;
  /** One produce span per traced event, ended when its transaction settles. */
  spans: Span[];
}

export interface BatchTarget {
  topics: FeedTopics;
  transactionalId: string;
  asyncApiUrl: string;
  /** Most bytes of records in one produce request. */
  requestLimit: number;
}

// One headers object for all messages of a kind (kafkajs only reads them).
const CLOUD_EVENT_HEADERS = Object.freeze({ 'content-type': CLOUD_EVENT_CONTENT_TYPE });
const SNAPSHOT_HEADERS = Object.freeze({ 'content-type': 'application/json' });
/** Events mapped between two turns of the event loop while a batch is prepared. */
const YIELD_EVERY = 500;
/** Bytes a record adds to a batch besides its key, value and headers (length, attributes, deltas, varints), rounded up. */
const RECORD_OVERHEAD = 24;
const recordBytes = (key: string, value: string, headerBytes: number): number =>
  Buffer.byteLength(key) + Buffer.byteLength(value) + headerBytes + RECORD_OVERHEAD;
const CLOUD_EVENT_HEADER_BYTES = 'content-type'.length + CLOUD_EVENT_CONTENT_TYPE.length;
const SNAPSHOT_HEADER_BYTES = 'content-type'.length + 'application/json'.length;

/**
 * Maps a batch and folds its courses forward (into the cache's prepared
 * states: the committed cache only takes what Kafka committed). Only each
 * course's last snapshot of the batch is produced: the topic is "latest
 * snapshot per course", and one snapshot per event would be most of the
 * bytes of a batch of interleaved courses.
 */
export async function prepareBatch(
  batch: RecordedEvent[],
  tracks: CourseTrackCache,
  target: BatchTarget,
): Promise<PreparedBatch> {
  const touched = new Map<string, CourseTrack>();
  const requests = new RequestBuilder(target.requestLimit);
  const eventsTopic = target.topics.courseEvents;
  const spans: Span[] = [];
  let sinceYield = 0;
  for (const recorded of batch) {
    if (++sinceYield === YIELD_EVERY) {
      // Let the transaction in flight take its broker replies and send its next request meanwhile.
      sinceYield = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
    const courseId = recorded.streamId.slice(COURSE_STREAM_PREFIX.length);
    const before = touched.get(courseId) ?? (await tracks.before(courseId, recorded));
    const event = decodeCourseEvent(withoutPhi(recorded)); // the feed never needs PHI
    const cloudEvent = toCloudEvent(
      {
        eventId: recorded.eventId,
        revision: recorded.revision,
        event,
        metadata: recorded.metadata as unknown as EventMetadata,
      },
      before.facts,
      target.asyncApiUrl,
    );
    const traced = contextOf(recorded.metadata);
    if (traced) {
      // The command's trace goes on: a produce span under the append, and its context for the consumer.
      const span = tracer().startSpan(
        `send ${eventsTopic}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.destination.name': eventsTopic,
            'messaging.message.id': recorded.eventId,
            'ipt.event_store.stream': recorded.streamId,
            'ipt.event_store.revision': recorded.revision,
          },
        },
        traced,
      );
      spans.push(span);
      Object.assign(cloudEvent, traceCarrier(trace.setSpan(traced, span)));
    }
    const value = JSON.stringify(cloudEvent);
    requests.add(
      eventsTopic,
      { key: courseId, value, headers: CLOUD_EVENT_HEADERS },
      recordBytes(courseId, value, CLOUD_EVENT_HEADER_BYTES),
    );
    touched.set(courseId, evolveCourseTrack(before, recorded));
  }
  const outcomesTopic = target.topics.courseOutcomes;
  for (const [courseId, track] of touched) {
    const value = JSON.stringify(outcomeSnapshot(track));
    requests.add(
      outcomesTopic,
      { key: courseId, value, headers: SNAPSHOT_HEADERS },
      recordBytes(courseId, value, SNAPSHOT_HEADER_BYTES),
    );
    tracks.prepared(courseId, track);
  }
  const last = batch[batch.length - 1].position;
  const checkpoint = checkpointMessage(target.transactionalId, last);
  requests.add(
    target.topics.relayCheckpoints,
    checkpoint,
    recordBytes(target.transactionalId, checkpoint.value, 0),
  );
  return { requests: requests.done(), touched, last, size: batch.length, spans };
}

/** Splits a transaction's messages, in order, into produce requests of at most `limit` bytes of records (at least one message each). */
export class RequestBuilder {
  private readonly requests: TopicMessages[][] = [];
  private current = new Map<string, Message[]>();
  private bytes = 0;

  constructor(private readonly limit: number) {}

  add(topic: string, m: Message, size: number): void {
    if (this.bytes > 0 && this.bytes + size > this.limit) this.flush();
    let messages = this.current.get(topic);
    if (!messages) this.current.set(topic, (messages = []));
    messages.push(m);
    this.bytes += size;
  }

  done(): TopicMessages[][] {
    this.flush();
    return this.requests;
  }

  private flush(): void {
    if (this.current.size === 0) return;
    this.requests.push([...this.current].map(([topic, messages]) => ({ topic, messages })));
    this.current = new Map();
    this.bytes = 0;
  }
}

/** Keys remembered per topic by the caching partitioner. */
const PARTITIONS_REMEMBERED = 100_000;

/**
 * kafkajs's default partitioner (murmur2, as the Java client) with its answer
 * remembered per key: hashing was 6 % of the relay's CPU, and a course's key
 * recurs in every batch that touches it. Same partitions as the default.
 */
export const cachingPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  const cache = new Map<string, { partitions: number; byKey: LRUCache<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message: m } = args;
    if (typeof m.partition === 'number' || typeof m.key !== 'string') return partition(args);
    let topicCache = cache.get(topic);
    if (!topicCache || topicCache.partitions !== partitionMetadata.length) {
      topicCache = {
        partitions: partitionMetadata.length,
        byKey: new LRUCache({ max: PARTITIONS_REMEMBERED }),
      };
      cache.set(topic, topicCache);
    }
    let p = topicCache.byKey.get(m.key);
    if (p === undefined) {
      p = partition(args);
      topicCache.byKey.set(m.key, p);
    }
    return p;
  };
};
