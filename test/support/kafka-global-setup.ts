/**
 * Jest global setup: a real Kafka broker for the test/kafka suites. Started
 * only when KAFKA_BROKERS is unset and a Kafka suite is among the selected
 * tests; its address goes to the workers through KAFKA_BROKERS. Likewise a
 * PostgreSQL server for the *.postgres-spec.ts suites (postgres-global-setup).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import * as broker from '../../infra/kafka/broker';
import { freePort } from './free-port';
import { startPostgresForSuites, stopTestPostgres } from './postgres-global-setup';

interface JestGlobalConfig {
  rootDir: string;
  testPathPattern?: string;
}

const STARTED = Symbol.for('ipt.kafka.testBroker');

export { freePort };

function kafkaSuitesSelected(config: JestGlobalConfig): boolean {
  const dir = join(__dirname, '..', 'kafka');
  let suites: string[];
  try {
    suites = readdirSync(dir)
      .filter((f) => f.endsWith('-spec.ts'))
      .map((f) => join(dir, f));
  } catch {
    return false;
  }
  const pattern = config.testPathPattern ?? '';
  if (!pattern) return suites.length > 0;
  const re = new RegExp(pattern, 'i');
  return suites.some((s) => re.test(s));
}

export default async function kafkaGlobalSetup(config: JestGlobalConfig): Promise<void> {
  await startPostgresForSuites(config);
  if (process.env.KAFKA_BROKERS || !kafkaSuitesSelected(config)) return;
  const port = Number(process.env.KAFKA_PORT) || (await freePort());
  const controllerPort = Number(process.env.KAFKA_CONTROLLER_PORT) || (await freePort());
  const started = await broker.startBroker({ port, controllerPort });
  process.stderr.write(
    `\n[kafka] test broker ${started.bootstrap} ready in ${(started.startMs / 1000).toFixed(1)}s\n`,
  );
  process.env.KAFKA_BROKERS = started.bootstrap;
  (globalThis as Record<symbol, unknown>)[STARTED] = port;
}

export async function stopTestServers(): Promise<void> {
  await stopTestPostgres();
  await stopTestBroker();
}

export async function stopTestBroker(): Promise<void> {
  const port = (globalThis as Record<symbol, unknown>)[STARTED];
  if (typeof port !== 'number') return;
  await broker.stopBroker({ port, removeData: true });
  delete process.env.KAFKA_BROKERS;
  delete (globalThis as Record<symbol, unknown>)[STARTED];
}
