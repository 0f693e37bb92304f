/**
 * The projector worker for production: builds the read models from the event
 * store's ordered log into DATA_DIR/read-models.sqlite, which the API (started
 * with RUN_PROJECTIONS=false) reads from the same folder, or, with
 * DATABASE_URL, into PostgreSQL, which every API instance reads. The embedded
 * mode needs no projector: the API runs the projections itself.
 *
 * With DATABASE_URL, any number of projectors may run: the one holding the
 * projector advisory lock projects, the others wait as hot standbys and take
 * over, from the checkpoints, within a fraction of a second of its death. A
 * projector that loses the lock (its connection broke) exits at once, so a
 * supervisor restarts it as a standby; its commits are fenced meanwhile.
 *
 * Environment: the schema of @ipt/config (DATA_DIR, EVENTSTORE_CONNECTION_STRING,
 * LOG_LEVEL, HOST), plus PROJECTOR_PORT to serve /health/live, /health/ready
 * and /metrics.
 */
import pino from 'pino';
import { loadConfigOrExit } from '@ipt/config';
import { startTracing, stopTracing } from '@ipt/telemetry';
import { openEventStore } from '@ipt/event-store';
import { AdvisoryLease, PROJECTOR_LOCK, openSharedDatabase } from '@ipt/database';
import {
  createRegistry,
  databaseCheck,
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
  ledgerStorage,
  postgresAccessTreeHead,
  courseLogHead,
  createPostgresReadModelTargets,
  sqliteProjectionTarget,
  createReadModelProjections,
  openReadModelDatabase,
} from '@ipt/projections';
import { PhiVault, configuredKeyStore, holdErasureFence } from '@ipt/privacy';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, { opensCourseKeys: true });
  startTracing('ipt-course-ledger-projector');
  const log = pino({ level: config.logLevel, base: { service: 'ipt-course-ledger-projector' } });
  const store = openEventStore({ ...config, readsAnotherProcess: true });
  const db = openReadModelDatabase(config.dataDir);
  const shared = config.databaseUrl
    ? await openSharedDatabase(config.databaseUrl, {
        applicationName: 'ipt-course-ledger-projector',
      })
    : undefined;
  const logger = { log: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };
  // The course view shows patientRef: the projector opens PHI with the course keys, after the
  // erasure fence has destroyed any key of an erased course (privacy.md).
  const vault = new PhiVault(configuredKeyStore(config, shared));
  const fence = await holdErasureFence(store, vault);
  if (fence.finished > 0) log.warn({ keys: fence.finished }, 'erasure fence destroyed keys');
  const targets = shared
    ? createPostgresReadModelTargets(shared)
    : createReadModelProjections().map((p) => sqliteProjectionTarget(db, p));
  const runners = targets.map((target) => new ProjectionRunner(store, target, logger, { vault }));
  // The events tree and the one checkpoint signer live here when the API reads only. With
  // DATABASE_URL both are in PostgreSQL, and the checkpoints also sign the access tree that
  // every API instance appends to there; without it the access log is in the API's data folder.
  const ledger = new AuditLedger(
    store,
    ledgerStorage(db, shared),
    config,
    shared ? postgresAccessTreeHead(shared) : EMPTY_ACCESS_TREE,
    { ...logger, error: (m: string) => log.error(m) },
  );
  const lease = config.databaseUrl
    ? new AdvisoryLease(config.databaseUrl, PROJECTOR_LOCK, {
        applicationName: 'ipt-course-ledger-projector-lock',
      })
    : undefined;
  let role: 'standby' | 'active' = lease ? 'standby' : 'active';
  const begin = () => {
    role = 'active';
    for (const runner of runners) runner.start();
    ledger.start();
    log.info({ projections: runners.map((r) => r.projection.name) }, 'projecting');
  };

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
            database: async () => (shared ? databaseCheck(shared)() : null),
            // A standby is ready: ready to take over.
            projections: () =>
              role === 'standby' ? { ok: true, report: { role } } : projectionsCheck(statuses)(),
            // A tree that no longer gives a stored checkpoint's root: reported, never signed over.
            audit: () => {
              const status = ledger.issuer.status();
              return { ok: status.state !== 'inconsistent', report: status };
            },
          },
        });
  // One line that scripts and tests wait for.
  server?.once('listening', () => log.info({ port: config.projectorPort }, 'operations listening'));

  const stop = async () => {
    server?.close();
    await Promise.all(runners.map((r) => r.stop()));
    await ledger.stop();
    await lease?.release();
    await shared?.end();
    await store.close();
    db.close();
    await vault.keys.close();
    await stopTracing();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());

  if (!lease) return begin();
  lease.onLost((error) => {
    // Another projector may be active by now: stop writing at once and let the supervisor restart us.
    log.error({ err: error.message }, 'projector lock lost; exiting');
    process.exit(1);
  });
  log.info('standby: waiting for the projector lock');
  if (await lease.acquire()) begin();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
