/**
 * npm run verify: checks the whole store (every course stream's chain, the
 * events tree against every stored checkpoint and its signature) with a
 * progress bar on stderr and a summary on stdout.
 * Exit 0: valid; 1: something is broken; 2: cannot run.
 * Environment: as the service (DATA_DIR, EVENTSTORE_CONNECTION_STRING, AUDIT_SIGNING_KEY,
 * DATABASE_URL: the ledger in PostgreSQL).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { AuditSigningKey, SIGNING_KEY_FILE, type AuditPublicKey } from '@ipt/audit';
import { COURSE_STREAM_PREFIX } from '@ipt/course';
import { ConfigError, loadConfig } from '@ipt/config';
import { openEventStore, type EventStore } from '@ipt/event-store';
import { openSharedDatabase } from '@ipt/database';
import {
  ledgerReadSide,
  openReadModelDatabase,
  verifyStore,
  type StoreVerification,
} from '@ipt/projections';

const CANNOT_RUN = 2;

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) return cannotRun(error.message);
    throw error;
  }
  const keyFile = path.join(config.dataDir, SIGNING_KEY_FILE);
  const localKey = config.auditSigningKey || fs.existsSync(keyFile);
  if (!config.databaseUrl) {
    if (!localKey) return cannotRun(`no signing key: neither AUDIT_SIGNING_KEY nor ${keyFile}`);
    if (!fs.existsSync(path.join(config.dataDir, 'read-models.sqlite'))) {
      return cannotRun(`no ledger in ${config.dataDir} (read-models.sqlite is missing)`);
    }
  }
  let store: EventStore | undefined;
  // With DATABASE_URL the ledger is in PostgreSQL (the projector builds it there).
  const shared = config.databaseUrl
    ? await openSharedDatabase(config.databaseUrl, { applicationName: 'ipt-course-ledger-verify' })
    : undefined;
  const db = openReadModelDatabase(config.dataDir);
  const { events, checkpoints } = ledgerReadSide(db, shared);
  // The key given or in the data folder; else the one the signer registered beside its checkpoints.
  const publicKey: AuditPublicKey | undefined = localKey
    ? AuditSigningKey.loadOrCreate({ dataDir: config.dataDir, pem: config.auditSigningKey })
        .publicKey
    : await checkpoints.publicKey();
  if (!publicKey) {
    db.close();
    await shared?.end();
    return cannotRun(
      'no signing key: neither AUDIT_SIGNING_KEY, nor a key file, nor a signed checkpoint',
    );
  }
  const bar = new SingleBar({
    format: 'streams [{bar}] {value}/{total} | {rate}/s | {eta_formatted} left',
    stream: process.stderr,
    hideCursor: true,
  });
  try {
    store = openEventStore({ ...config, readsAnotherProcess: true });
    if (!(await store.ping())) return cannotRun('the event store does not answer');
    const started = Date.now();
    let barStarted = false;
    const report = await verifyStore({
      store,
      ledger: events,
      checkpoints,
      publicKey,
      streamPrefix: COURSE_STREAM_PREFIX,
      onProgress: (done, total) => {
        if (!barStarted) {
          bar.start(total, 0, { rate: '0' });
          barStarted = true;
        }
        const seconds = (Date.now() - started) / 1000;
        bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds).toString() : '-' });
      },
    });
    if (barStarted) bar.stop();
    process.stdout.write(summary(report));
    return report.valid ? 0 : 1;
  } catch (error) {
    bar.stop();
    return cannotRun((error as Error).message);
  } finally {
    await store?.close();
    db.close();
    await shared?.end();
  }
}

function summary(report: StoreVerification): string {
  const lines: string[] = [];
  const latest = report.checkpoint;
  lines.push(
    latest
      ? `latest checkpoint: #${latest.sequence}, events tree size ${latest.checkpoint.events.size}, root ${latest.checkpoint.events.root}, issued ${latest.checkpoint.issuedAt}`
      : 'no checkpoint issued yet: only the chains are checked',
  );
  lines.push(`checkpoints checked: ${report.checkpoints.checked}`);
  for (const problem of report.checkpoints.problems) lines.push(`  BROKEN ${problem}`);
  const { streams } = report;
  lines.push(
    `streams checked: ${streams.checked} (${streams.events} events, ${streams.pending} after the latest checkpoint)`,
  );
  for (const b of streams.broken) {
    lines.push(`  BROKEN ${b.streamId} at revision ${b.brokenAtRevision} (${b.reason})`);
  }
  lines.push(report.valid ? 'result: VALID' : 'result: BROKEN');
  return `${lines.join('\n')}\n`;
}

function cannotRun(message: string): number {
  process.stderr.write(`verify: cannot run: ${message}\n`);
  return CANNOT_RUN;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`verify: cannot run: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(CANNOT_RUN);
  },
);
