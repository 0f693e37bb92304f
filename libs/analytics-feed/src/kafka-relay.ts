/**
 * The relay: the store's ordered log → de-identified CloudEvents in Kafka,
 * exactly once for read_committed consumers.
 *
 * Each batch of events, the outcome snapshots of the courses it touched and the
 * relay's new checkpoint go out in ONE Kafka transaction (in as many bounded
 * produce requests as the batch needs), so the feed and the
 * checkpoint can never disagree: after a crash the relay resumes from the last
 * committed checkpoint and whatever it had sent since is aborted (a new
 * producer with the same transactional id aborts the old one's open
 * transaction and fences it).
 */
import { randomUUID } from 'node:crypto';
import {
  CompressionTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type ICustomPartitioner,
  type LogEntry,
  type Message,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import { COURSE_STREAM_PREFIX, type CourseEvent, type EventMetadata } from '@ipt/course';
import type { EventStore, RecordedEvent, StoreSubscription } from '@ipt/event-store';
import { CLOUD_EVENT_CONTENT_TYPE, DEFAULT_ASYNCAPI_URL, toCloudEvent } from './cloud-event';
import {
  emptyCourseTrack,
  evolveCourseTrack,
  outcomeSnapshot,
  type CourseTrack,
} from './course-track';
import { DEFAULT_TOPICS, type FeedTopics } from './topics';

export type RelayState = 'starting' | 'running' | 'degraded' | 'stopped';

/** pino-compatible. */
export interface RelayLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface KafkaRelayOptions {
  store: EventStore;
  brokers: string[];
  clientId?: string;
  /** The relay's identity: a second relay with the same id fences the first. Also the checkpoint's key. */
  transactionalId?: string;
  topics?: Partial<FeedTopics>;
  /** Partitions of the course-events and course-outcomes topics when the relay creates them. */
  partitions?: number;
  /** Replication factor for created topics; default: the broker's default. */
  replicationFactor?: number;
  /** retention.ms of the course-events topic; -1 keeps the whole history (the default). */
  retentionMs?: number;
  /**
   * Most events in one transaction (default 20,000). Large transactions pay
   * the per-transaction round trips (coordinator look-ups, partition
   * registration, commit markers) once for many events, and produce each
   * touched course's snapshot once; when caught up, a transaction takes
   * whatever arrived since the last one.
   */
  maxBatchEvents?: number;
  /**
   * Most bytes of records in one produce request; a transaction sends as many
   * requests as it needs. The default stays under the broker's default
   * max.message.bytes (1 MiB), which bounds each partition's record batch.
   */
  maxRequestBytes?: number;
  /** Where `dataschema` points (the served AsyncAPI document). */
  asyncApiUrl?: string;
  /** Courses whose fold state stays in memory; a miss re-reads the course stream. */
  courseCacheSize?: number;
  /** Backoff between attempts while Kafka (or the store) is unavailable. */
  backoff?: { initialMs?: number; maxMs?: number };
  transactionTimeoutMs?: number;
  /**
   * Compression of produced batches. Default none: with requests bounded in
   * size, gzip no longer buys throughput (measured equal in
   * bench/relay.bench.ts) and adds latency (p99 about 160 ms instead of about
   * 100 ms at 1,000 commands/s); it halves the bytes on the wire and on disk
   * and lowers the broker's CPU, so choose it where those are the limit.
   */
  compression?: 'gzip' | 'none';
  logger?: RelayLogger;
}

export interface RelayStatus {
  state: RelayState;
  /** True once another relay with the same transactional id took over: this one stopped for good. */
  fenced: boolean;
  /** Global-log position of the last event committed to Kafka (decimal string), null before the first. */
  checkpoint: string | null;
  /** Position of the newest course event in the store (decimal string). */
  headPosition: string | null;
  /**
   * How far the feed is behind the store, in log positions (embedded store:
   * events of any stream; EventStoreDB: bytes of log); 0 when caught up, null
   * when unknown (store unreachable, checkpoint not read yet).
   */
  lag: number | null;
  eventsRelayed: number;
  batchesCommitted: number;
  errors: number;
  lastError: string | null;
  lastCommitAt: string | null;
}

/** An existing topic whose settings would break the feed's guarantees: never "fixed" silently. */
export class TopicConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicConfigurationError';
  }
}

const SILENT: RelayLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const STATES: readonly RelayState[] = ['starting', 'running', 'degraded', 'stopped'];

/** kafkajs reports fencing as INVALID_PRODUCER_EPOCH (47) with the API versions it speaks; newer brokers know PRODUCER_FENCED (90). */
function isFenced(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { type?: string; code?: number; cause?: unknown; originalError?: unknown };
    if (
      x.type === 'INVALID_PRODUCER_EPOCH' ||
      x.type === 'PRODUCER_FENCED' ||
      x.code === 47 ||
      x.code === 90
    )
      return true;
    e = x.cause ?? x.originalError;
  }
  return false;
}

interface PreparedBatch {
  /** The produce requests of the transaction, in order; the last one carries the checkpoint. */
  requests: TopicMessages[][];
  touched: Map<string, CourseTrack>;
  /** Position of the batch's last event: the checkpoint once committed. */
  last: bigint;
  size: number;
}

function isTooLarge(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { type?: string; cause?: unknown; originalError?: unknown };
    if (x.type === 'MESSAGE_TOO_LARGE' || x.type === 'RECORD_LIST_TOO_LARGE') return true;
    e = x.cause ?? x.originalError;
  }
  return false;
}

const message = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

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
 * kafkajs's default partitioner (murmur2, as the Java client) with its answer
 * remembered per key: hashing was 6 % of the relay's CPU, and a course's key
 * recurs in every batch that touches it. Same partitions as the default.
 */
const cachingPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  const cache = new Map<string, { partitions: number; byKey: Map<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message: m } = args;
    if (typeof m.partition === 'number' || typeof m.key !== 'string') return partition(args);
    let topicCache = cache.get(topic);
    if (!topicCache || topicCache.partitions !== partitionMetadata.length) {
      topicCache = { partitions: partitionMetadata.length, byKey: new Map() };
      cache.set(topic, topicCache);
    }
    let p = topicCache.byKey.get(m.key);
    if (p === undefined) {
      if (topicCache.byKey.size >= 100_000) topicCache.byKey.clear();
      p = partition(args);
      topicCache.byKey.set(m.key, p);
    }
    return p;
  };
};

export class KafkaRelay {
  private readonly store: EventStore;
  private readonly brokers: string[];
  private readonly clientId: string;
  private readonly transactionalId: string;
  private readonly topics: FeedTopics;
  private readonly partitions: number;
  private readonly replicationFactor: number | undefined;
  private readonly retentionMs: number;
  private readonly maxBatchEvents: number;
  private readonly maxRequestBytes: number;
  private readonly asyncApiUrl: string;
  private readonly courseCacheSize: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly transactionTimeoutMs: number;
  private readonly compression: CompressionTypes;
  private readonly log: RelayLogger;

  private state: RelayState = 'stopped';
  private fenced = false;
  private checkpoint: bigint | null = null;
  private eventsRelayed = 0;
  private batchesCommitted = 0;
  private errors = 0;
  private lastError: string | null = null;
  private lastCommitAt: Date | null = null;

  private loop: Promise<void> | undefined;
  private stopping = false;
  /** Wakes whatever the loop waits on (backoff sleep, an empty queue) when stop() is called. */
  private interrupt: (() => void) | undefined;
  private subscription: StoreSubscription | undefined;
  /** Fold state per course, in least-recently-used order (Map keeps insertion order). */
  private readonly courses = new Map<string, CourseTrack>();
  /** Fold states of batches prepared but not yet committed. */
  private readonly ahead = new Map<string, CourseTrack>();
  /** Events per transaction now: maxBatchEvents, halved while the broker refuses a batch as too large. */
  private batchLimit: number;
  /** Bytes per produce request now: maxRequestBytes, halved with batchLimit. */
  private requestLimit: number;

  constructor(options: KafkaRelayOptions) {
    this.store = options.store;
    this.brokers = options.brokers;
    this.clientId = options.clientId ?? 'ipt-course-ledger-relay';
    this.transactionalId = options.transactionalId ?? 'ipt-course-ledger-relay';
    this.topics = { ...DEFAULT_TOPICS, ...options.topics };
    this.partitions = options.partitions ?? 6;
    this.replicationFactor = options.replicationFactor;
    this.retentionMs = options.retentionMs ?? -1;
    this.maxBatchEvents = options.maxBatchEvents ?? 20_000;
    this.batchLimit = this.maxBatchEvents;
    this.maxRequestBytes = options.maxRequestBytes ?? 1_000_000;
    this.requestLimit = this.maxRequestBytes;
    this.asyncApiUrl = options.asyncApiUrl ?? DEFAULT_ASYNCAPI_URL;
    this.courseCacheSize = options.courseCacheSize ?? 20_000;
    this.backoffInitialMs = options.backoff?.initialMs ?? 250;
    this.backoffMaxMs = options.backoff?.maxMs ?? 10_000;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000;
    this.compression =
      options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.log = options.logger ?? SILENT;
    if (this.brokers.length === 0) throw new Error('KafkaRelay needs at least one broker');
  }

  /**
   * Starts relaying in the background. Resolves once the relay runs, or once
   * its first attempt failed for a reason that may pass (broker down: it keeps
   * retrying, state `degraded`). Rejects when it cannot run as configured (a
   * topic with a conflicting cleanup policy) or was fenced.
   */
  start(): Promise<void> {
    if (this.loop) return Promise.resolve();
    this.stopping = false;
    this.fenced = false;
    this.state = 'starting';
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      this.loop = this.run(settle).finally(() => {
        settle();
        this.loop = undefined;
      });
    });
  }

  /** Finishes the transaction in flight (or abandons a retry), then disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.interrupt?.();
    await this.subscription?.close().catch(() => undefined);
    await this.loop;
    this.state = 'stopped';
  }

  /** Settles when the relay has stopped, whether asked to or on its own (fenced, bad topic settings). */
  async whenStopped(): Promise<void> {
    await this.loop;
  }

  async status(): Promise<RelayStatus> {
    let head: bigint | null = null;
    try {
      const [last] = await this.store.readAll({
        direction: 'backwards',
        maxCount: 1,
        streamPrefixes: [COURSE_STREAM_PREFIX],
      });
      head = last?.position ?? null;
    } catch {
      head = null; // store unreachable: its own readiness says so
    }
    let lag: number | null = null;
    if (this.checkpoint !== null || this.state === 'running') {
      const done = this.checkpoint ?? 0n;
      lag = head === null ? 0 : head > done ? Number(head - done) : 0;
    }
    return {
      state: this.state,
      fenced: this.fenced,
      checkpoint: this.checkpoint?.toString() ?? null,
      headPosition: head?.toString() ?? null,
      lag,
      eventsRelayed: this.eventsRelayed,
      batchesCommitted: this.batchesCommitted,
      errors: this.errors,
      lastError: this.lastError,
      lastCommitAt: this.lastCommitAt?.toISOString() ?? null,
    };
  }

  /** The relay's figures in the Prometheus text format, for /metrics. */
  async metricsText(): Promise<string> {
    const s = await this.status();
    const lines = [
      '# HELP ipt_relay_state 1 for the state the analytics relay is in.',
      '# TYPE ipt_relay_state gauge',
      ...STATES.map((st) => `ipt_relay_state{state="${st}"} ${s.state === st ? 1 : 0}`),
      '# HELP ipt_relay_up 1 while the relay commits to Kafka (state running).',
      '# TYPE ipt_relay_up gauge',
      `ipt_relay_up ${s.state === 'running' ? 1 : 0}`,
      '# HELP ipt_relay_fenced 1 when another relay with the same transactional id took over.',
      '# TYPE ipt_relay_fenced gauge',
      `ipt_relay_fenced ${s.fenced ? 1 : 0}`,
      '# HELP ipt_relay_lag_positions How far the feed is behind the event store, in log positions.',
      '# TYPE ipt_relay_lag_positions gauge',
      `ipt_relay_lag_positions ${s.lag ?? 'NaN'}`,
      '# HELP ipt_relay_checkpoint_position Global-log position of the last event committed to Kafka.',
      '# TYPE ipt_relay_checkpoint_position gauge',
      `ipt_relay_checkpoint_position ${s.checkpoint ?? 'NaN'}`,
      '# HELP ipt_relay_events_relayed_total Course events committed to Kafka by this process.',
      '# TYPE ipt_relay_events_relayed_total counter',
      `ipt_relay_events_relayed_total ${s.eventsRelayed}`,
      '# HELP ipt_relay_batches_committed_total Kafka transactions committed by this process.',
      '# TYPE ipt_relay_batches_committed_total counter',
      `ipt_relay_batches_committed_total ${s.batchesCommitted}`,
      '# HELP ipt_relay_errors_total Failed relay attempts (Kafka or store unavailable, fencing, bad topic settings).',
      '# TYPE ipt_relay_errors_total counter',
      `ipt_relay_errors_total ${s.errors}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  // ---- the loop -------------------------------------------------------------

  private async run(settle: (err?: unknown) => void): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      try {
        await this.session(() => {
          attempt = 0;
          settle();
        });
      } catch (err) {
        if (this.stopping) break;
        this.errors++;
        this.lastError = message(err);
        if (isFenced(err)) {
          this.fenced = true;
          this.log.error(
            { err, transactionalId: this.transactionalId },
            'relay fenced: another relay with the same transactional id took over; stopping',
          );
          settle(err);
          break;
        }
        if (err instanceof TopicConfigurationError) {
          this.log.error({ err }, 'relay cannot run with these topics; stopping');
          settle(err);
          break;
        }
        if (isTooLarge(err) && this.batchLimit > 1) {
          // A partition's share of a request exceeds the topic's max.message.bytes: retry smaller.
          this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
          this.requestLimit = Math.max(1, Math.floor(this.requestLimit / 2));
          this.log.warn(
            { batchLimit: this.batchLimit, requestLimit: this.requestLimit },
            'the broker refused a batch as too large; relaying smaller batches',
          );
        }
        this.state = 'degraded';
        const delay = Math.min(
          this.backoffMaxMs,
          this.backoffInitialMs * 2 ** Math.min(attempt++, 16),
        );
        this.log.warn(
          { err: this.lastError, retryInMs: delay },
          'relay degraded: Kafka or the event store is unavailable; retrying',
        );
        settle();
        await this.pause(delay * (0.8 + Math.random() * 0.4));
      }
    }
    this.state = 'stopped';
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private kafka(): Kafka {
    return new Kafka({
      clientId: this.clientId,
      brokers: this.brokers,
      connectionTimeout: 3000,
      requestTimeout: 15_000,
      // Short first retry: right after a commit the coordinator answers
      // CONCURRENT_TRANSACTIONS until its markers are written (a few ms).
      retry: { initialRetryTime: 25, maxRetryTime: 1000, retries: 6 },
      logLevel: logLevel.WARN,
      // The relay reports failures itself (state, lastError, metrics); kafkajs detail goes to debug.
      logCreator:
        () =>
        ({ namespace, level, log }: LogEntry) => {
          const { message: msg, ...extra } = log;
          this.log.debug({ kafkajs: namespace, level, ...extra }, msg);
        },
    });
  }

  /** One connected stretch: ensure topics, take over the transactional id, read the checkpoint, relay until an error or stop. */
  private async session(onRunning: () => void): Promise<void> {
    const kafka = this.kafka();
    const admin = kafka.admin();
    let producer: Producer | undefined;
    try {
      await admin.connect();
      await this.ensureTopics(admin);
      producer = kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.transactionTimeoutMs,
        createPartitioner: cachingPartitioner,
        // A failed send aborts the whole batch and the relay retries it from its
        // checkpoint, so bounded retries cannot duplicate (kafkajs warns otherwise).
        retry: { initialRetryTime: 25, maxRetryTime: 1000, retries: 6 },
      });
      await producer.connect();
      const checkpoint = await this.takeOverAndReadCheckpoint(kafka, admin, producer);
      if (this.stopping) return;
      this.checkpoint = checkpoint;
      this.courses.clear();
      this.state = 'running';
      this.lastError = null;
      this.log.info(
        { checkpoint: checkpoint?.toString() ?? null, transactionalId: this.transactionalId },
        'relay running',
      );
      onRunning();
      await this.relayFrom(producer, checkpoint);
    } finally {
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates missing topics; refuses existing ones whose cleanup policy would lose or expire what must stay. */
  private async ensureTopics(admin: Admin): Promise<void> {
    const wanted = [
      {
        topic: this.topics.courseEvents,
        numPartitions: this.partitions,
        policy: 'delete',
        configEntries: [
          { name: 'cleanup.policy', value: 'delete' },
          { name: 'retention.ms', value: String(this.retentionMs) },
        ],
      },
      {
        topic: this.topics.courseOutcomes,
        numPartitions: this.partitions,
        policy: 'compact',
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
      {
        // One partition: the checkpoint and the start marker must be ordered with each other.
        topic: this.topics.relayCheckpoints,
        numPartitions: 1,
        policy: 'compact',
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.ms', value: String(3_600_000) },
        ],
      },
    ];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((w) => !existing.has(w.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((w) => ({
          topic: w.topic,
          numPartitions: w.numPartitions,
          ...(this.replicationFactor ? { replicationFactor: this.replicationFactor } : {}),
          configEntries: w.configEntries,
        })),
      });
      this.log.info({ topics: missing.map((w) => w.topic) }, 'relay created topics');
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: wanted.map((w) => ({
        type: ConfigResourceTypes.TOPIC,
        name: w.topic,
        configNames: ['cleanup.policy'],
      })),
    });
    for (const w of wanted) {
      const resource = described.resources.find((r) => r.resourceName === w.topic);
      const policy = resource?.configEntries.find(
        (c) => c.configName === 'cleanup.policy',
      )?.configValue;
      const policies = (policy ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .sort()
        .join(',');
      if (policies !== w.policy) {
        throw new TopicConfigurationError(
          `topic ${w.topic} has cleanup.policy=${policy ?? '(unknown)'}, the feed needs cleanup.policy=${w.policy}; fix or delete the topic`,
        );
      }
    }
  }

  /**
   * The first transaction of a producer id fences any older relay with this
   * transactional id and aborts its open transaction. The start marker it
   * commits then shows where the committed checkpoint log ends: read (in
   * read_committed) up to the marker, the last checkpoint seen is ours.
   */
  private async takeOverAndReadCheckpoint(
    kafka: Kafka,
    admin: Admin,
    producer: Producer,
  ): Promise<bigint | null> {
    const nonce = randomUUID();
    const markerKey = `${this.transactionalId}#start`;
    const tx = await producer.transaction();
    try {
      await tx.send({
        topic: this.topics.relayCheckpoints,
        acks: -1,
        messages: [{ key: markerKey, partition: 0, value: JSON.stringify({ nonce }) }],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
    const groupId = `${this.transactionalId}.checkpoint-reader.${nonce}`;
    const consumer: Consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topics.relayCheckpoints, fromBeginning: true });
      return await new Promise<bigint | null>((resolve, reject) => {
        let position: bigint | null = null;
        const timer = setTimeout(
          () => reject(new Error('reading the relay checkpoint timed out')),
          30_000,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message: m }) => {
              const key = m.key?.toString();
              if (key === this.transactionalId && m.value) {
                position = BigInt(
                  (JSON.parse(m.value.toString()) as { position: string }).position,
                );
              } else if (
                key === markerKey &&
                m.value &&
                (JSON.parse(m.value.toString()) as { nonce: string }).nonce === nonce
              ) {
                clearTimeout(timer);
                resolve(position);
              }
            },
          })
          .catch((err: unknown) => {
            clearTimeout(timer);
            reject(err);
          });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      // The reader group never committed offsets; drop it rather than leave one per start.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  /** Pulls the store's log into a bounded queue; each turn commits what has arrived (up to maxBatchEvents) in one transaction. */
  private async relayFrom(producer: Producer, checkpoint: bigint | null): Promise<void> {
    const subscription = this.store.subscribeToAll({
      ...(checkpoint !== null ? { afterPosition: checkpoint } : {}),
      streamPrefixes: [COURSE_STREAM_PREFIX],
    });
    this.subscription = subscription;
    const queue: RecordedEvent[] = [];
    let failure: unknown;
    let ended = false;
    let wakeRelay: (() => void) | undefined;
    let wakePump: (() => void) | undefined;
    const pump = (async () => {
      try {
        for await (const m of subscription) {
          if (m.kind !== 'event') continue;
          queue.push(m.event);
          wakeRelay?.();
          // Backpressure: don't read the store far ahead of what Kafka has taken.
          if (queue.length >= 2 * this.maxBatchEvents)
            await new Promise<void>((r) => (wakePump = r));
        }
      } catch (err) {
        failure = err;
      } finally {
        ended = true;
        wakeRelay?.();
      }
    })();
    // Pipeline: the next batch is mapped while the previous transaction waits on the broker.
    let inFlight: Promise<void> = Promise.resolve();
    try {
      while (!this.stopping) {
        if (failure) throw failure;
        if (queue.length === 0) {
          // Nothing to prepare: settle the transaction in flight first, so its failure is seen now.
          await inFlight;
          if (ended) {
            if (this.stopping) break;
            throw new Error('the event store subscription ended');
          }
          if (queue.length > 0 || failure) continue;
          await new Promise<void>((r) => {
            wakeRelay = r;
            this.interrupt = r;
          });
          wakeRelay = undefined;
          continue;
        }
        // One macrotask turn lets the pump drain the page the store just read, so a batch is not one event.
        if (queue.length < this.batchLimit) await new Promise<void>((r) => setImmediate(r));
        const batch = queue.splice(0, this.batchLimit);
        wakePump?.();
        wakePump = undefined;
        const prepared = await this.prepareBatch(batch);
        await inFlight;
        inFlight = this.commitBatch(producer, prepared);
        inFlight.catch(() => undefined); // awaited on the next turn; no unhandled rejection meanwhile
      }
      await inFlight;
    } catch (err) {
      await inFlight.catch(() => undefined);
      throw err;
    } finally {
      this.ahead.clear();
      this.subscription = undefined;
      await subscription.close().catch(() => undefined);
      wakePump?.();
      await pump;
    }
  }

  /**
   * Maps a batch and folds its courses forward (into `ahead`: the cache only
   * takes what Kafka committed). Only each course's last snapshot of the batch
   * is produced: the topic is "latest snapshot per course", and one snapshot
   * per event would be most of the bytes of a batch of interleaved courses.
   */
  private async prepareBatch(batch: RecordedEvent[]): Promise<PreparedBatch> {
    const touched = new Map<string, CourseTrack>();
    const requests = new RequestBuilder(this.requestLimit);
    const eventsTopic = this.topics.courseEvents;
    let sinceYield = 0;
    for (const recorded of batch) {
      if (++sinceYield === YIELD_EVERY) {
        // Let the transaction in flight take its broker replies and send its next request meanwhile.
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
      const courseId = recorded.streamId.slice(COURSE_STREAM_PREFIX.length);
      const before = touched.get(courseId) ?? (await this.trackBefore(courseId, recorded));
      const event = { type: recorded.type, data: recorded.data } as CourseEvent;
      const cloudEvent = toCloudEvent(
        {
          eventId: recorded.eventId,
          revision: recorded.revision,
          event,
          metadata: recorded.metadata as unknown as EventMetadata,
        },
        before.facts,
        this.asyncApiUrl,
      );
      const value = JSON.stringify(cloudEvent);
      requests.add(
        eventsTopic,
        { key: courseId, value, headers: CLOUD_EVENT_HEADERS },
        recordBytes(courseId, value, CLOUD_EVENT_HEADER_BYTES),
      );
      touched.set(courseId, evolveCourseTrack(before, recorded));
    }
    const outcomesTopic = this.topics.courseOutcomes;
    for (const [courseId, track] of touched) {
      const value = JSON.stringify(outcomeSnapshot(track));
      requests.add(
        outcomesTopic,
        { key: courseId, value, headers: SNAPSHOT_HEADERS },
        recordBytes(courseId, value, SNAPSHOT_HEADER_BYTES),
      );
      this.ahead.set(courseId, track);
    }
    const last = batch[batch.length - 1].position;
    const checkpoint = JSON.stringify({ position: last.toString() });
    requests.add(
      this.topics.relayCheckpoints,
      { key: this.transactionalId, partition: 0, value: checkpoint },
      recordBytes(this.transactionalId, checkpoint, 0),
    );
    return { requests: requests.done(), touched, last, size: batch.length };
  }

  /** One Kafka transaction: the batch's CloudEvents, its courses' snapshots and the new checkpoint, in one or more produce requests. */
  private async commitBatch(producer: Producer, prepared: PreparedBatch): Promise<void> {
    const tx = await producer.transaction();
    try {
      // One request at a time: the idempotent producer numbers each partition's records in order.
      for (const topicMessages of prepared.requests)
        await tx.sendBatch({ topicMessages, acks: -1, compression: this.compression });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
    this.checkpoint = prepared.last;
    this.eventsRelayed += prepared.size;
    this.batchesCommitted++;
    this.lastCommitAt = new Date();
    for (const [courseId, track] of prepared.touched) {
      this.remember(courseId, track);
      if (this.ahead.get(courseId) === track) this.ahead.delete(courseId);
    }
  }

  /** The course's fold state just before `recorded`: from the cache, or re-read from its stream on a miss. */
  private async trackBefore(courseId: string, recorded: RecordedEvent): Promise<CourseTrack> {
    const cached = this.ahead.get(courseId) ?? this.courses.get(courseId);
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

  private remember(courseId: string, track: CourseTrack): void {
    this.courses.delete(courseId);
    this.courses.set(courseId, track);
    if (this.courses.size > this.courseCacheSize) {
      const oldest = this.courses.keys().next().value;
      if (oldest !== undefined) this.courses.delete(oldest);
    }
  }
}

/** Splits a transaction's messages, in order, into produce requests of at most `limit` bytes of records (at least one message each). */
class RequestBuilder {
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
