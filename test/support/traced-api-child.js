/**
 * The built API (dist/) with the OpenTelemetry SDK and its in-memory span
 * exporter, for the tracing test: a child process, since the app's
 * dependencies include ESM packages that jest's CommonJS runtime cannot load.
 * Beside the API, a relay on the API's own store with its own transactional
 * id and topics (so parallel Kafka suites never fence it).
 *
 * env: DATA_DIR, AUTH_JWT_SECRET, KAFKA_BROKERS, RELAY_TRANSACTIONAL_ID, RELAY_TOPIC_SUFFIX
 * prints {"listening": "<url>"}; IPC {cmd: 'spans'} answers {spans: [...finished spans]}.
 * Plain JavaScript: it runs the build as it is deployed.
 */
'use strict';
const path = require('node:path');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const DIST = path.resolve(__dirname, '../../dist');
const exporter = new InMemorySpanExporter();
const sdk = new NodeSDK({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
  instrumentations: [],
});
sdk.start();

const { createApp } = require(path.join(DIST, 'apps/api/src/main.js'));
const { KafkaRelay, topicsWithSuffix } = require(path.join(DIST, 'libs/analytics-feed/src'));
const { EVENT_STORE } = require(path.join(DIST, 'libs/event-store/src'));

const plain = (span) => ({
  name: span.name,
  kind: span.kind,
  traceId: span.spanContext().traceId,
  spanId: span.spanContext().spanId,
  parentSpanId: span.parentSpanContext?.spanId,
  attributes: span.attributes,
  links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
  status: span.status,
});

async function main() {
  const { KAFKA_BROKERS, RELAY_TRANSACTIONAL_ID, RELAY_TOPIC_SUFFIX, ...env } = process.env;
  const app = await createApp(env);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const relay = new KafkaRelay({
    store: app.get(EVENT_STORE),
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'tracing-test',
    transactionalId: RELAY_TRANSACTIONAL_ID,
    topics: topicsWithSuffix(RELAY_TOPIC_SUFFIX),
  });
  await relay.start();
  process.on('message', (message) => {
    if (message.cmd === 'spans') process.send({ spans: exporter.getFinishedSpans().map(plain) });
  });
  process.on('disconnect', () => {
    void relay
      .stop()
      .then(() => app.close())
      .then(() => sdk.shutdown())
      .finally(() => process.exit(0));
  });
  const { port } = app.getHttpServer().address();
  process.stdout.write(JSON.stringify({ listening: `http://127.0.0.1:${port}` }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
