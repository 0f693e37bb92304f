/**
 * The relay worker for production: the event store's ordered log → the
 * analytics feed in Kafka. One process per transactional id; a second one
 * with the same id fences this one, which then exits (status 3) so that the
 * orchestrator sees it.
 *
 * Environment (the schema of @ipt/config): KAFKA_BROKERS (required here),
 * KAFKA_CLIENT_ID, DATA_DIR (the embedded store's folder, as the API's) or
 * EVENTSTORE_CONNECTION_STRING, LOG_LEVEL; HOST for the health endpoint. Own to the
 * relay: RELAY_PORT (serve /health/live, /health/ready and /metrics when set),
 * RELAY_TRANSACTIONAL_ID (default ipt-course-ledger-relay), ASYNCAPI_URL (the
 * public address of /asyncapi.json that `dataschema` points at).
 */
import pino from 'pino';
import { KafkaRelay } from '@ipt/analytics-feed';
import { loadConfigOrExit } from '@ipt/config';
import { startTracing, stopTracing } from '@ipt/telemetry';
import { openEventStore } from '@ipt/event-store';
import {
  createRegistry,
  eventStoreCheck,
  registerRelayMetrics,
  relayCheck,
  serveOperations,
} from '@ipt/observability';

async function main(): Promise<number> {
  const config = loadConfigOrExit(process.env, { require: ['KAFKA_BROKERS'] });
  const log = pino({ level: config.logLevel, name: 'relay' });
  startTracing('ipt-course-ledger-relay');
  const store = openEventStore({ ...config, readsAnotherProcess: true });
  const relay = new KafkaRelay({
    store,
    brokers: config.kafkaBrokers!,
    clientId: config.kafkaClientId,
    transactionalId: config.relayTransactionalId,
    producer: config.relayProducer,
    asyncApiUrl: config.asyncApiUrl,
    logger: log,
  });
  const registry = createRegistry();
  registerRelayMetrics(registry, relay);
  const server =
    config.relayPort === undefined
      ? undefined
      : serveOperations({
          host: config.host,
          port: config.relayPort,
          registry,
          checks: { eventStore: eventStoreCheck(store), relay: relayCheck(relay) },
        });
  // One line that scripts and tests wait for.
  server?.once('listening', () => log.info({ port: config.relayPort }, 'operations listening'));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await relay.stop();
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());

  try {
    await relay.start();
  } catch (err) {
    log.fatal({ err }, 'the relay cannot run');
  }
  await relay.whenStopped();
  const final = await relay.status();
  server?.close();
  await store.close();
  await stopTracing();
  if (stopping) return 0;
  return final.fenced ? 3 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
