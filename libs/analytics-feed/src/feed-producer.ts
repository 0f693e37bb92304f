/**
 * The relay's transactional producer, behind one small port with two
 * implementations:
 *
 * - `native`: the native `Producer` of `@confluentinc/kafka-javascript`
 *   (librdkafka: records encoded in C, batched per partition on its own
 *   threads). An optional dependency: used when it is installed and loads.
 * - `kafkajs`: the pure-JavaScript client, the fallback (and what the relay
 *   used before issue 14).
 *
 * Both give the same feed: the same partition for a key (kafkajs's default
 * partitioner is Java's murmur2; librdkafka's `murmur2_random` is the same
 * hash, and it must be set in the TOPIC configuration, where librdkafka reads
 * it), idempotent, acks=all, one transaction per batch with the checkpoint,
 * fencing by transactional id.
 */
import {
  CompressionTypes,
  type Kafka,
  type Producer as KafkaJsProducer,
  type TopicMessages,
} from 'kafkajs';
import { cachingPartitioner } from './relay-batch';
import type { RelaySettings } from './relay-options';

export type ProducerKind = 'native' | 'kafkajs';
/** `auto`: native when the package loads, else kafkajs. */
export type ProducerChoice = ProducerKind | 'auto';

export interface FeedProducer {
  readonly kind: ProducerKind;
  /** Connects and takes over the transactional id (fencing any older producer, aborting its open transaction). */
  connect(): Promise<void>;
  /**
   * One transaction: the requests' records in order, then commit. Rejects
   * (after aborting) when any record or the commit fails.
   */
  transaction(requests: TopicMessages[][]): Promise<void>;
  disconnect(): Promise<void>;
}

// ---- native (librdkafka) --------------------------------------------------

/** The parts of @confluentinc/kafka-javascript's native API the relay uses (typed here: the package is optional). */
interface NativeError extends Error {
  code: number;
  isFatal?: boolean;
  isTxnRequiresAbort?: boolean;
}
type Callback = (err: NativeError | null | undefined) => void;
interface NativeProducer {
  connect(options: object | undefined, cb: Callback): void;
  disconnect(timeout: number, cb: Callback): void;
  setPollInterval(ms: number): void;
  poll(): void;
  on(event: 'event.error', listener: (err: NativeError) => void): void;
  on(event: 'delivery-report', listener: (err: NativeError | null | undefined) => void): void;
  produce(
    topic: string,
    partition: number | null,
    value: Buffer,
    key: string | null,
    timestamp: number | null,
    opaque: unknown,
    headers: { [key: string]: string }[] | undefined,
  ): void;
  initTransactions(timeout: number, cb: Callback): void;
  beginTransaction(cb: Callback): void;
  commitTransaction(timeout: number, cb: Callback): void;
  abortTransaction(timeout: number, cb: Callback): void;
}
interface NativeModule {
  Producer: new (global: Record<string, unknown>, topic: Record<string, unknown>) => NativeProducer;
  CODES: { ERRORS: Record<string, number> };
}

let nativeModule: NativeModule | null | undefined;

/** The native package, or null when it is not installed (or its binary does not load here). */
export function loadNativeKafka(): NativeModule | null {
  if (nativeModule === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional dependency, loaded only when present
      nativeModule = require('@confluentinc/kafka-javascript') as NativeModule;
    } catch {
      nativeModule = null;
    }
  }
  return nativeModule;
}

/** librdkafka's code when its queue of unsent records is full. */
const QUEUE_FULL = -184;
/** Records produced between two turns of the event loop: produce() is synchronous. */
const YIELD_EVERY = 1000;

const promised = (run: (cb: Callback) => void): Promise<void> =>
  new Promise((resolve, reject) => run((err) => (err ? reject(err) : resolve())));

class NativeFeedProducer implements FeedProducer {
  readonly kind = 'native' as const;
  private readonly producer: NativeProducer;
  private readonly timeoutMs = 30_000;
  /** The first record of the open transaction that the broker refused (its commit then fails). */
  private deliveryError: NativeError | undefined;

  constructor(
    lib: NativeModule,
    settings: RelaySettings,
    requestLimit: number,
    private readonly reportDeliveries: boolean,
  ) {
    this.producer = new lib.Producer(
      {
        'client.id': settings.clientId,
        'bootstrap.servers': settings.brokers.join(','),
        'transactional.id': settings.transactionalId,
        'enable.idempotence': true,
        'transaction.timeout.ms': settings.transactionTimeoutMs,
        'compression.codec': settings.compression === CompressionTypes.GZIP ? 'gzip' : 'none',
        // Records wait at most 5 ms for their batch; a transaction's records go out while it is filled.
        'linger.ms': 5,
        // A partition's record batch stays under the topic's max.message.bytes (halved with the relay's
        // request limit when the broker refuses one as too large).
        'batch.size': Math.max(1024, Math.min(requestLimit, 1_000_000)),
        // Delivery reports name a refused record's reason (the commit only says that some failed);
        // they cost a callback per record, so only a producer that follows a failure asks for them.
        dr_cb: reportDeliveries,
        // A whole transaction (up to maxBatchEvents and its snapshots) fits in the queue.
        'queue.buffering.max.messages': Math.max(100_000, settings.maxBatchEvents * 4),
        'queue.buffering.max.kbytes': 1_048_576,
        'socket.connection.setup.timeout.ms': 3000,
        'retry.backoff.ms': 25,
        'retry.backoff.max.ms': 1000,
        log_level: 3,
      },
      // In the topic configuration, or librdkafka silently ignores it (and picks
      // other partitions than kafkajs did for the same key).
      { partitioner: 'murmur2_random', 'request.required.acks': -1 },
    );
    // Errors that no call returns (broker gone, fatal): the next transaction fails with them too.
    this.producer.on('event.error', () => undefined);
    if (reportDeliveries) {
      this.producer.on('delivery-report', (err) => {
        if (err) this.deliveryError ??= err;
      });
    }
  }

  async connect(): Promise<void> {
    await promised((cb) => this.producer.connect(undefined, cb));
    // Delivery reports (and errors) wait in librdkafka until polled, and a commit waits for them.
    this.producer.setPollInterval(this.reportDeliveries ? 10 : 100);
    await promised((cb) => this.producer.initTransactions(this.timeoutMs, cb));
  }

  async transaction(requests: TopicMessages[][]): Promise<void> {
    await promised((cb) => this.producer.beginTransaction(cb));
    this.deliveryError = undefined;
    try {
      let sinceYield = 0;
      for (const request of requests) {
        for (const { topic, messages } of request) {
          for (const m of messages) {
            if (++sinceYield === YIELD_EVERY) {
              sinceYield = 0;
              await new Promise<void>((r) => setImmediate(r));
            }
            await this.produce(topic, m);
          }
        }
      }
      await promised((cb) => this.producer.commitTransaction(this.timeoutMs, cb)).catch(
        (err: NativeError) => {
          // The commit's own error says only that records failed; the first refusal says why.
          throw this.deliveryError ? Object.assign(err, { cause: this.deliveryError }) : err;
        },
      );
    } catch (err) {
      if (!(err as NativeError).isFatal) {
        await promised((cb) => this.producer.abortTransaction(this.timeoutMs, cb)).catch(
          () => undefined,
        );
      }
      throw err;
    }
  }

  private async produce(topic: string, m: TopicMessages['messages'][number]): Promise<void> {
    const value = typeof m.value === 'string' ? Buffer.from(m.value) : (m.value ?? null);
    const key = m.key === null || m.key === undefined ? null : String(m.key);
    const headers = m.headers
      ? [
          Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, String(v)])) as Record<
            string,
            string
          >,
        ]
      : undefined;
    const partition = typeof m.partition === 'number' ? m.partition : null;
    for (;;) {
      try {
        this.producer.produce(topic, partition, value as Buffer, key, null, undefined, headers);
        return;
      } catch (err) {
        if ((err as NativeError).code !== QUEUE_FULL) throw err;
        // librdkafka's queue is full: let its threads send, then try again.
        this.producer.poll();
        await new Promise<void>((r) => setTimeout(r, 5));
      }
    }
  }

  async disconnect(): Promise<void> {
    await promised((cb) => this.producer.disconnect(5000, cb));
  }
}

// ---- kafkajs ----------------------------------------------------------------

class KafkaJsFeedProducer implements FeedProducer {
  readonly kind = 'kafkajs' as const;
  private readonly producer: KafkaJsProducer;

  constructor(
    kafka: Kafka,
    private readonly settings: RelaySettings,
  ) {
    this.producer = kafka.producer({
      transactionalId: settings.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: settings.transactionTimeoutMs,
      createPartitioner: cachingPartitioner,
      // A failed send aborts the whole batch and the relay retries it from its
      // checkpoint, so bounded retries cannot duplicate (kafkajs warns otherwise).
      retry: { initialRetryTime: 25, maxRetryTime: 1000, retries: 6 },
    });
  }

  /** kafkajs takes over the transactional id at its first transaction (the relay's start marker). */
  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async transaction(requests: TopicMessages[][]): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      // One request at a time: the idempotent producer numbers each partition's records in order.
      for (const topicMessages of requests)
        await tx.sendBatch({ topicMessages, acks: -1, compression: this.settings.compression });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** The producer the settings ask for: `auto` takes the native one when its package loads. */
export function createFeedProducer(
  kafka: Kafka,
  settings: RelaySettings,
  requestLimit: number,
  /** After a failed attempt: the native producer then reports each record's delivery, to tell why. */
  explainFailures = false,
): FeedProducer {
  const native = settings.producer === 'kafkajs' ? null : loadNativeKafka();
  if (native) return new NativeFeedProducer(native, settings, requestLimit, explainFailures);
  if (settings.producer === 'native') {
    throw new Error(
      'RELAY_PRODUCER=native, but @confluentinc/kafka-javascript is not installed or does not load',
    );
  }
  return new KafkaJsFeedProducer(kafka, settings);
}
