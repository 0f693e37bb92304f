/**
 * The projector worker for production: builds the read models from the event
 * store's ordered log into DATA_DIR/read-models.sqlite, which the API (started
 * with RUN_PROJECTIONS=false) reads from the same folder. The embedded mode
 * needs no projector: the API runs the projections itself.
 *
 * Environment: as the API's (DATA_DIR, EVENTSTORE_CONNECTION_STRING,
 * LOG_LEVEL, HOST), plus PROJECTOR_PORT to serve /health/live and
 * /health/ready.
 */
import { createServer } from 'node:http';
import pino from 'pino';
import { ConfigError, loadConfig } from '@ipt/config';
import { openEventStore } from '@ipt/event-store';
import {
  ProjectionRunner,
  createReadModelProjections,
  openReadModelDatabase,
} from '@ipt/projections';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'ipt-course-ledger-projector' } });
  const store = openEventStore({ ...config, readsAnotherProcess: true });
  const db = openReadModelDatabase(config.dataDir);
  const logger = { log: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };
  const runners = createReadModelProjections().map(
    (p) => new ProjectionRunner(store, db, p, logger),
  );
  for (const runner of runners) runner.start();
  log.info({ projections: runners.map((r) => r.projection.name) }, 'projecting');

  const port = process.env.PROJECTOR_PORT ? Number(process.env.PROJECTOR_PORT) : undefined;
  const server =
    port === undefined
      ? undefined
      : createServer((req, res) => {
          const statuses = runners.map((r) => r.status());
          const ready = statuses.every((s) => s.state === 'live' || s.state === 'catching_up');
          const [status, body] =
            req.url === '/health/live'
              ? [200, { status: 'live' }]
              : req.url === '/health/ready'
                ? [
                    ready ? 200 : 503,
                    { status: ready ? 'ready' : 'not_ready', projections: statuses },
                  ]
                : [404, { status: 404, title: 'Not Found', code: 'not_found' }];
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        }).listen(port, config.host);

  const stop = async () => {
    server?.close();
    await Promise.all(runners.map((r) => r.stop()));
    await store.close();
    db.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : (error as Error).stack}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
