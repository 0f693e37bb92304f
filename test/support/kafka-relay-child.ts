/**
 * A relay in its own process, for the crash test: the parent SIGKILLs it, or
 * it kills itself the moment the broker has acknowledged the Nth produce
 * request, i.e. with a transaction's records written but not committed.
 * On the native producer (librdkafka batches records itself) the requests are
 * counted as kafkajs would have split them (RELAY_REQUEST_BYTES, default
 * 1 MB; the start marker is the first), and the process dies once the Nth
 * request's records are flushed to the broker, before the next request or
 * the commit.
 *
 *   node -r ./test/support/kafka-ts-register.js test/support/kafka-relay-child.ts
 * env: RELAY_DB (SQLite file), KAFKA_BROKERS, RELAY_TRANSACTIONAL_ID, RELAY_TOPIC_SUFFIX,
 *      RELAY_BATCH (events per transaction), RELAY_REQUEST_BYTES (optional), RELAY_KILL_AT_PRODUCE (optional)
 */
import { Kafka } from 'kafkajs';
import { KafkaRelay, loadNativeKafka, topicsWithSuffix } from '@ipt/analytics-feed';
import { SqliteEventStore } from '@ipt/event-store';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const killAt = Number(process.env.RELAY_KILL_AT_PRODUCE ?? 0);
if (killAt > 0) {
  // Fault injection from outside the relay: watch every producer it creates.
  const producer = Kafka.prototype.producer;
  let produced = 0;
  Kafka.prototype.producer = function (this: Kafka, ...args: Parameters<Kafka['producer']>) {
    const p = producer.apply(this, args);
    p.on(p.events.REQUEST, (e) => {
      if ((e.payload as { apiName?: string }).apiName === 'Produce' && ++produced === killAt) {
        process.stdout.write('killing myself between send and commit\n');
        process.kill(process.pid, 'SIGKILL');
      }
    });
    return p;
  };

  const native = loadNativeKafka() as unknown as {
    Producer: { prototype: Record<string, (...args: unknown[]) => unknown> };
  } | null;
  if (native) {
    const proto = native.Producer.prototype;
    const { produce, beginTransaction, commitTransaction } = proto;
    const limit = Number(process.env.RELAY_REQUEST_BYTES ?? 1_000_000);
    let requests = 0;
    let bytes = Infinity;
    let dying = false;
    const die = (p: { flush(timeout: number, cb: () => void): void }) =>
      p.flush(10_000, () => {
        process.stdout.write('killing myself between send and commit\n');
        process.kill(process.pid, 'SIGKILL');
      });
    proto.beginTransaction = function (this: unknown, ...args: unknown[]) {
      bytes = Infinity; // each transaction starts a new request
      return beginTransaction.apply(this, args);
    };
    proto.produce = function (this: never, ...args: unknown[]) {
      const [, , value, key] = args as [string, number | null, Buffer | null, string | null];
      const size = (value?.length ?? 0) + Buffer.byteLength(key ?? '') + 24;
      if (bytes + size > limit) {
        if (dying) return die(this);
        requests++;
        bytes = 0;
        dying = requests === killAt;
      }
      bytes += size;
      return produce.apply(this, args);
    };
    proto.commitTransaction = function (this: never, ...args: unknown[]) {
      if (dying) return die(this);
      return commitTransaction.apply(this, args);
    };
  }
}

const store = new SqliteEventStore(env('RELAY_DB'));
const relay = new KafkaRelay({
  store,
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'relay-child',
  transactionalId: env('RELAY_TRANSACTIONAL_ID'),
  topics: topicsWithSuffix(env('RELAY_TOPIC_SUFFIX')),
  partitions: 3,
  maxBatchEvents: Number(process.env.RELAY_BATCH ?? 200),
  ...(process.env.RELAY_REQUEST_BYTES
    ? { maxRequestBytes: Number(process.env.RELAY_REQUEST_BYTES) }
    : {}),
});

void relay.start().then(async () => {
  process.stdout.write(`started ${(await relay.status()).state}\n`);
});
process.on('SIGTERM', () => {
  void relay
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
