/**
 * The ledger log as the API sees it: the read side (events tree, leaf
 * indexes, stored checkpoints, the public key) in every mode, and in the
 * embedded mode (RUN_PROJECTIONS=true) also the builder and the one
 * checkpoint signer, beside the read-model projections.
 */
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AuditSigningKey, type AuditPublicKey } from '@ipt/audit';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { EVENT_STORE, type EventStore, type SqliteDatabase } from '@ipt/event-store';
import {
  ACCESS_TREE_HEAD,
  AuditLedger,
  CheckpointLog,
  EMPTY_ACCESS_TREE,
  EventsLedger,
  type AccessTreeHead,
} from '@ipt/projections';
import type { CheckResult } from '@ipt/observability';
import { LOCAL_DATABASE } from '../infrastructure/local-database';

@Injectable()
export class AuditLedgerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('audit');
  readonly events: EventsLedger;
  readonly checkpoints: CheckpointLog;
  readonly publicKey: AuditPublicKey;
  /** Only in the process that builds the tree and signs. */
  readonly builder?: AuditLedger;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(LOCAL_DATABASE) db: SqliteDatabase,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(ACCESS_TREE_HEAD) access?: AccessTreeHead,
  ) {
    if (config.runProjections) {
      this.builder = new AuditLedger(store, db, config, access ?? EMPTY_ACCESS_TREE, {
        log: (m) => this.logger.log(m),
        warn: (m) => this.logger.warn(m),
        error: (m) => this.logger.error(m),
      });
    }
    this.events = new EventsLedger(db);
    this.checkpoints = new CheckpointLog(db);
    // The same key as the signer's: given, or the one file in the shared data folder.
    this.publicKey = AuditSigningKey.loadOrCreate({
      dataDir: config.dataDir,
      pem: config.auditSigningKey,
    }).publicKey;
  }

  onApplicationBootstrap(): void {
    this.builder?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.builder?.stop();
  }

  /** Readiness: the tree builds, and it still gives the roots of every stored checkpoint. */
  check(): CheckResult | null {
    if (!this.builder) return null;
    const projection = this.builder.runner.status();
    const issuer = this.builder.issuer.status();
    return {
      ok: ['catching_up', 'live'].includes(projection.state) && issuer.state !== 'inconsistent',
      report: { tree: projection.state, checkpoints: issuer.state, brokenAt: issuer.brokenAt },
    };
  }
}
