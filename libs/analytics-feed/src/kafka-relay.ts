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
 *
 * Here: the retry loop, the pump and the commit. Beside it: relay-options,
 * relay-topics, relay-checkpoint, relay-batch, course-track-cache, kafka-errors.
 */
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { COURSE_STREAM_PREFIX } from '@ipt/course';
import type { RecordedEvent, StoreSubscription } from '@ipt/event-store';
import { failed, tracer } from '@ipt/telemetry';
import { CourseTrackCache } from './course-track-cache';
import { classifyRelayError, errorForLog, errorMessage } from './kafka-errors';
import {
  createFeedProducer,
  loadNativeKafka,
  type FeedProducer,
  type ProducerKind,
} from './feed-producer';
import { prepareBatch, type PreparedBatch } from './relay-batch';
import { takeOverAndReadCheckpoint } from './relay-checkpoint';
import { relaySettings, type KafkaRelayOptions, type RelaySettings } from './relay-options';
import { ensureFeedTopics } from './relay-topics';

export type { KafkaRelayOptions, RelayLogger } from './relay-options';
export { TopicConfigurationError } from './relay-topics';
export { loadNativeKafka, type ProducerChoice, type ProducerKind } from './feed-producer';

export type RelayState = 'starting' | 'running' | 'degraded' | 'stopped';

/** A transaction the broker committed, as told to `onCommitted` listeners. */
export interface CommittedTransaction {
  /** Global-log positions of its first and last course events. */
  first: bigint;
  last: bigint;
  events: number;
  /** From its begin to the broker's commit acknowledgment. */
  seconds: number;
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

export class KafkaRelay {
  private readonly settings: RelaySettings;
  private readonly tracks: CourseTrackCache;

  private state: RelayState = 'stopped';
  private fenced = false;
  private checkpoint: bigint | null = null;
  private eventsRelayed = 0;
  private batchesCommitted = 0;
  private errors = 0;
  private lastError: string | null = null;
  private lastCommitAt: Date | null = null;
  private readonly committedListeners = new Set<(transaction: CommittedTransaction) => void>();
  /** The producer of the current (or last) session. */
  private producerKind: ProducerKind | null = null;

  private loop: Promise<void> | undefined;
  private stopping = false;
  /** Wakes whatever the loop waits on (backoff sleep, an empty queue) when stop() is called. */
  private interrupt: (() => void) | undefined;
  private subscription: StoreSubscription | undefined;
  /** Events per transaction now: maxBatchEvents, halved while the broker refuses a batch as too large. */
  private batchLimit: number;
  /** Bytes per produce request now: maxRequestBytes, halved with batchLimit. */
  private requestLimit: number;

  constructor(options: KafkaRelayOptions) {
    this.settings = relaySettings(options);
    if (this.settings.producer === 'native' && !loadNativeKafka()) {
      throw new Error(
        'the native Kafka producer was asked for, but @confluentinc/kafka-javascript is not installed or does not load',
      );
    }
    this.batchLimit = this.settings.maxBatchEvents;
    this.requestLimit = this.settings.maxRequestBytes;
    this.tracks = new CourseTrackCache(this.settings.store, this.settings.courseCacheSize);
  }

  /**
   * Told of each committed transaction, when the broker acknowledged it: the
   * transaction-time metric, and the benchmark's split of command-to-consumer latency.
   */
  onCommitted(listener: (transaction: CommittedTransaction) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
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

  /** The Kafka producer in use: `native` (librdkafka) or `kafkajs`; null before the first connection. */
  get producer(): ProducerKind | null {
    return this.producerKind;
  }

  /** Settles when the relay has stopped, whether asked to or on its own (fenced, bad topic settings). */
  async whenStopped(): Promise<void> {
    await this.loop;
  }

  async status(): Promise<RelayStatus> {
    let head: bigint | null = null;
    try {
      const [last] = await this.settings.store.readAll({
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

  // ---- the loop -------------------------------------------------------------

  private async run(settle: (err?: unknown) => void): Promise<void> {
    const { log, transactionalId } = this.settings;
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
        this.lastError = errorMessage(err);
        const failure = classifyRelayError(err);
        if (failure === 'fenced') {
          this.fenced = true;
          log.error(
            { err: errorForLog(err), transactionalId },
            'relay fenced: another relay with the same transactional id took over; stopping',
          );
          settle(err);
          break;
        }
        if (failure === 'topic-configuration') {
          log.error({ err: errorForLog(err) }, 'relay cannot run with these topics; stopping');
          settle(err);
          break;
        }
        if (failure === 'too-large' && this.batchLimit > 1) {
          // A partition's share of a request exceeds the topic's max.message.bytes: retry smaller.
          this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
          this.requestLimit = Math.max(1, Math.floor(this.requestLimit / 2));
          log.warn(
            { batchLimit: this.batchLimit, requestLimit: this.requestLimit },
            'the broker refused a batch as too large; relaying smaller batches',
          );
        }
        this.state = 'degraded';
        const delay = Math.min(
          this.settings.backoffMaxMs,
          this.settings.backoffInitialMs * 2 ** Math.min(attempt++, 16),
        );
        log.warn(
          { err: errorForLog(err), retryInMs: delay },
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
      clientId: this.settings.clientId,
      brokers: this.settings.brokers,
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
          this.settings.log.debug({ kafkajs: namespace, level, ...extra }, msg);
        },
    });
  }

  /** One connected stretch: ensure topics, take over the transactional id, read the checkpoint, relay until an error or stop. */
  private async session(onRunning: () => void): Promise<void> {
    const { topics, transactionalId } = this.settings;
    const kafka = this.kafka();
    const admin = kafka.admin();
    let producer: FeedProducer | undefined;
    try {
      await admin.connect();
      await ensureFeedTopics(admin, this.settings);
      producer = createFeedProducer(kafka, this.settings, this.requestLimit, this.errors > 0);
      this.producerKind = producer.kind;
      await producer.connect();
      const checkpoint = await takeOverAndReadCheckpoint(kafka, admin, producer, {
        transactionalId,
        topic: topics.relayCheckpoints,
      });
      if (this.stopping) return;
      this.checkpoint = checkpoint;
      this.tracks.clear();
      this.state = 'running';
      this.lastError = null;
      this.settings.log.info(
        { checkpoint: checkpoint?.toString() ?? null, transactionalId },
        'relay running',
      );
      onRunning();
      await this.relayFrom(producer, checkpoint);
    } finally {
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Pulls the store's log into a bounded queue; each turn commits what has arrived (up to maxBatchEvents) in one transaction. */
  private async relayFrom(producer: FeedProducer, checkpoint: bigint | null): Promise<void> {
    const subscription = this.settings.store.subscribeToAll({
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
          if (queue.length >= 2 * this.settings.maxBatchEvents)
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
        const prepared = await prepareBatch(batch, this.tracks, {
          topics: this.settings.topics,
          transactionalId: this.settings.transactionalId,
          asyncApiUrl: this.settings.asyncApiUrl,
          requestLimit: this.requestLimit,
        });
        await inFlight;
        inFlight = this.commitBatch(producer, prepared, batch[0].position);
        inFlight.catch(() => undefined); // awaited on the next turn; no unhandled rejection meanwhile
      }
      await inFlight;
    } catch (err) {
      await inFlight.catch(() => undefined);
      throw err;
    } finally {
      this.tracks.dropPrepared();
      this.subscription = undefined;
      await subscription.close().catch(() => undefined);
      wakePump?.();
      await pump;
    }
  }

  /** One Kafka transaction: the batch's CloudEvents, its courses' snapshots and the new checkpoint, in one or more produce requests. */
  private async commitBatch(
    producer: FeedProducer,
    prepared: PreparedBatch,
    first: bigint,
  ): Promise<void> {
    const began = performance.now();
    const transaction = tracer().startSpan('relay transaction', {
      root: true,
      attributes: {
        'ipt.event.count': prepared.size,
        'ipt.relay.checkpoint': prepared.last.toString(),
        'ipt.relay.requests': prepared.requests.length,
      },
      links: prepared.spans.slice(0, 64).map((span) => ({ context: span.spanContext() })),
    });
    try {
      await producer.transaction(prepared.requests);
    } catch (err) {
      for (const span of [transaction, ...prepared.spans]) {
        failed(span, err);
        span.end();
      }
      throw err;
    }
    for (const span of prepared.spans) span.end();
    transaction.end();
    this.checkpoint = prepared.last;
    this.eventsRelayed += prepared.size;
    this.batchesCommitted++;
    this.lastCommitAt = new Date();
    this.tracks.committedBatch(prepared.touched);
    const committed: CommittedTransaction = {
      first,
      last: prepared.last,
      events: prepared.size,
      seconds: (performance.now() - began) / 1000,
    };
    for (const listener of this.committedListeners) {
      try {
        listener(committed);
      } catch {
        // An observer's failure is not the transaction's: it is committed.
      }
    }
  }
}
