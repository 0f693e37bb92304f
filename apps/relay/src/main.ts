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
import { AdvisoryLease, RELAY_LOCK } from '@ipt/database';
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

  const lease = config.databaseUrl
    ? new AdvisoryLease(config.databaseUrl, RELAY_LOCK, {
        applicationName: 'ipt-course-ledger-relay-lock',
      })
    : undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (lease && !lease.active) return lease.release(); // a standby: stop waiting
    await relay.stop();
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());

  // With DATABASE_URL, a second relay waits as a hot standby until the active one's lock goes;
  // the transactional id still fences a relay that kept sending after it lost the lock.
  if (lease) {
    lease.onLost((error) => {
      log.error({ err: error.message }, 'relay lock lost; exiting');
      process.exit(1);
    });
    log.info('standby: waiting for the relay lock');
    if (!(await lease.acquire()) || stopping) {
      await store.close();
      server?.close();
      return 0;
    }
    log.info('relay lock held: relaying');
  }

  try {
    await relay.start();
  } catch (err) {
    log.fatal({ err }, 'the relay cannot run');
  }
  await relay.whenStopped();
  const final = await relay.status();
  server?.close();
  await lease?.release();
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
