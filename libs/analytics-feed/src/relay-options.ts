/** What a relay can be told, and what it assumes when it is not told. */
import { CompressionTypes } from 'kafkajs';
import type { EventStore } from '@ipt/event-store';
import type { ProducerChoice } from './feed-producer';
import { DEFAULT_ASYNCAPI_URL } from './cloud-event';
import { DEFAULT_TOPICS, type FeedTopics } from './topics';

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
  /**
   * The Kafka producer: `native` (@confluentinc/kafka-javascript, librdkafka),
   * `kafkajs`, or `auto` (the default: native when that optional package is
   * installed and loads, else kafkajs). Default from RELAY_PRODUCER when set.
   */
  producer?: ProducerChoice;
  logger?: RelayLogger;
}

/** The options with every default filled in. */
export interface RelaySettings {
  store: EventStore;
  brokers: string[];
  clientId: string;
  transactionalId: string;
  topics: FeedTopics;
  partitions: number;
  replicationFactor: number | undefined;
  retentionMs: number;
  maxBatchEvents: number;
  maxRequestBytes: number;
  asyncApiUrl: string;
  courseCacheSize: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  transactionTimeoutMs: number;
  compression: CompressionTypes;
  producer: ProducerChoice;
  log: RelayLogger;
}

const SILENT: RelayLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function relaySettings(options: KafkaRelayOptions): RelaySettings {
  if (options.brokers.length === 0) throw new Error('KafkaRelay needs at least one broker');
  return {
    store: options.store,
    brokers: options.brokers,
    clientId: options.clientId ?? 'ipt-course-ledger-relay',
    transactionalId: options.transactionalId ?? 'ipt-course-ledger-relay',
    topics: { ...DEFAULT_TOPICS, ...options.topics },
    partitions: options.partitions ?? 6,
    replicationFactor: options.replicationFactor,
    retentionMs: options.retentionMs ?? -1,
    maxBatchEvents: options.maxBatchEvents ?? 20_000,
    maxRequestBytes: options.maxRequestBytes ?? 1_000_000,
    asyncApiUrl: options.asyncApiUrl ?? DEFAULT_ASYNCAPI_URL,
    courseCacheSize: options.courseCacheSize ?? 20_000,
    backoffInitialMs: options.backoff?.initialMs ?? 250,
    backoffMaxMs: options.backoff?.maxMs ?? 10_000,
    transactionTimeoutMs: options.transactionTimeoutMs ?? 60_000,
    compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    producer: options.producer ?? producerFromEnvironment(),
    log: options.logger ?? SILENT,
  };
}

const PRODUCER_CHOICES: readonly ProducerChoice[] = ['auto', 'native', 'kafkajs'];

/** RELAY_PRODUCER, so that a process (or a test run) can pin the producer without a code change. */
function producerFromEnvironment(): ProducerChoice {
  const value = process.env.RELAY_PRODUCER;
  if (value === undefined || value === '') return 'auto';
  if (!(PRODUCER_CHOICES as readonly string[]).includes(value)) {
    throw new Error(`RELAY_PRODUCER must be one of ${PRODUCER_CHOICES.join(', ')}`);
  }
  return value as ProducerChoice;
}
