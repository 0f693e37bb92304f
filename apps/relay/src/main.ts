/**
 * The relay worker for production: the event store's ordered log → the
 * analytics feed in Kafka. One process per transactional id; a second one
 * with the same id fences this one, which then exits (status 3) so that the
 * orchestrator sees it.
 *
 * Environment (validated by @ipt/config): KAFKA_BROKERS (required here),
 * KAFKA_CLIENT_ID, DATA_DIR (the embedded store's folder, as the API's) or
 * EVENTSTORE_CONNECTION_STRING, LOG_LEVEL; HOST for the health endpoint. Own to the
 * relay: RELAY_PORT (serve /health/live, /health/ready and /metrics when set),
 * RELAY_TRANSACTIONAL_ID (default ipt-course-ledger-relay), ASYNCAPI_URL (the
 * public address of /asyncapi.json that `dataschema` points at).
 */
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { KafkaRelay } from '@ipt/analytics-feed';
import { ConfigError, loadConfig } from '@ipt/config';
import { openEventStore } from '@ipt/event-store';

function healthServer(relay: KafkaRelay, host: string, port: number): Server {
  return createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    void (async () => {
      if (req.url === '/health/live')
        return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
      if (req.url === '/health/ready') {
        const relayStatus = await relay.status();
        return send(
          relayStatus.state === 'running' ? 200 : 503,
          'application/json',
          JSON.stringify({ relay: relayStatus }),
        );
      }
      if (req.url === '/metrics')
        return send(200, 'text/plain; version=0.0.4', await relay.metricsText());
      return send(404, 'application/json', JSON.stringify({ status: 404, title: 'Not Found' }));
    })().catch(() => send(500, 'application/json', '{}'));
  }).listen(port, host);
}

async function main(): Promise<number> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, name: 'relay' });
  if (!config.kafkaBrokers) {
    log.fatal('KAFKA_BROKERS is required for the relay worker (host:port[,host:port…])');
    return 2;
  }
  const store = openEventStore({ ...config, readsAnotherProcess: true });
  const relay = new KafkaRelay({
    store,
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    transactionalId: process.env.RELAY_TRANSACTIONAL_ID?.trim() || undefined,
    asyncApiUrl: process.env.ASYNCAPI_URL?.trim() || undefined,
    logger: log,
  });
  const relayPort = process.env.RELAY_PORT ? Number(process.env.RELAY_PORT) : undefined;
  const server = relayPort !== undefined ? healthServer(relay, config.host, relayPort) : undefined;

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
  if (stopping) return 0;
  return final.fenced ? 3 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`,
    );
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
