/**
 * The projector worker for production: builds the read models from the event
 * store's ordered log into DATA_DIR/read-models.sqlite, which the API (started
 * with RUN_PROJECTIONS=false) reads from the same folder. The embedded mode
 * needs no projector: the API runs the projections itself.
 *
 * Environment: the schema of @ipt/config (DATA_DIR, EVENTSTORE_CONNECTION_STRING,
 * LOG_LEVEL, HOST), plus PROJECTOR_PORT to serve /health/live, /health/ready
 * and /metrics.
 */
import pino from 'pino';
import { loadConfigOrExit } from '@ipt/config';
import { startTracing, stopTracing } from '@ipt/telemetry';
import { openEventStore } from '@ipt/event-store';
import {
  createRegistry,
  eventStoreCheck,
  projectionsCheck,
  registerEventStoreMetrics,
  registerProjectionMetrics,
  serveOperations,
} from '@ipt/observability';
import {
  AuditLedger,
  EMPTY_ACCESS_TREE,
  ProjectionRunner,
  courseLogHead,
  createReadModelProjections,
  openReadModelDatabase,
} from '@ipt/projections';
import { PhiVault, SqliteKeyStore, holdErasureFence } from '@ipt/privacy';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  startTracing('ipt-course-ledger-projector');
  const log = pino({ level: config.logLevel, base: { service: 'ipt-course-ledger-projector' } });
  const store = openEventStore({ ...config, readsAnotherProcess: true });
  const db = openReadModelDatabase(config.dataDir);
  const logger = { log: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };
  // The course view shows patientRef: the projector opens PHI with the course keys, after the
  // erasure fence has destroyed any key of an erased course (privacy.md).
  const vault = new PhiVault(SqliteKeyStore.configured(config));
  const fence = await holdErasureFence(store, vault);
  if (fence.finished > 0) log.warn({ keys: fence.finished }, 'erasure fence destroyed keys');
  const runners = createReadModelProjections().map(
    (p) => new ProjectionRunner(store, db, p, logger, vault),
  );
  for (const runner of runners) runner.start();
  // The events tree and the one checkpoint signer live here when the API reads only.
  const ledger = new AuditLedger(store, db, config, EMPTY_ACCESS_TREE, {
    ...logger,
    error: (m: string) => log.error(m),
  });
  ledger.start();

  const statuses = () => [...runners, ledger.runner].map((r) => r.status());
  const registry = createRegistry();
  registerEventStoreMetrics(registry, store);
  registerProjectionMetrics(registry, { statuses, head: () => courseLogHead(store) });
  const server =
    config.projectorPort === undefined
      ? undefined
      : serveOperations({
          host: config.host,
          port: config.projectorPort,
          registry,
          checks: {
            eventStore: eventStoreCheck(store),
            projections: projectionsCheck(statuses),
            // A tree that no longer gives a stored checkpoint's root: reported, never signed over.
            audit: () => {
              const status = ledger.issuer.status();
              return { ok: status.state !== 'inconsistent', report: status };
            },
          },
        });
  // One line that scripts and tests wait for.
  server?.once('listening', () => log.info({ port: config.projectorPort }, 'operations listening'));
  log.info({ projections: runners.map((r) => r.projection.name) }, 'projecting');

  const stop = async () => {
    server?.close();
    await Promise.all(runners.map((r) => r.stop()));
    await ledger.stop();
    await store.close();
    db.close();
    await vault.keys.close();
    await stopTracing();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
