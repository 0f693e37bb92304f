/**
 * A relay in its own process, for the crash test: the parent SIGKILLs it, or
 * it kills itself the moment the broker has acknowledged the Nth produce
 * request, i.e. with a transaction's records written but not committed.
 *
 *   node -r ./test/support/kafka-ts-register.js test/support/kafka-relay-child.ts
 * env: RELAY_DB (SQLite file), KAFKA_BROKERS, RELAY_TRANSACTIONAL_ID, RELAY_TOPIC_SUFFIX,
 *      RELAY_BATCH (events per transaction), RELAY_REQUEST_BYTES (optional), RELAY_KILL_AT_PRODUCE (optional)
 */
import { Kafka } from 'kafkajs';
import { KafkaRelay, topicsWithSuffix } from '@ipt/analytics-feed';
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
