/**
 * The ledger log as the API sees it: the read side (events tree, leaf
 * indexes, stored checkpoints, the public key) in every mode, and in the
 * embedded mode (RUN_PROJECTIONS=true, no DATABASE_URL) also the builder and
 * the one checkpoint signer, beside the read-model projections. With
 * DATABASE_URL the ledger is in PostgreSQL, built and signed by the active
 * projector only: every API instance reads it, none signs.
 */
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { AuditSigningKey, type AuditPublicKey } from '@ipt/audit';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { SHARED_DATABASE, whileAvailable } from '@ipt/database';
import { EVENT_STORE, type EventStore, type SqliteDatabase } from '@ipt/event-store';
import {
  ACCESS_TREE_HEAD,
  AuditLedger,
  EMPTY_ACCESS_TREE,
  ledgerReadSide,
  ledgerStorage,
  type AccessTreeHead,
  type CheckpointLog,
  type EventsLedger,
} from '@ipt/projections';
import type { CheckResult } from '@ipt/observability';
import { CheckpointNotFound } from '../application/errors';
import { LOCAL_DATABASE } from '../infrastructure/local-database';

@Injectable()
export class AuditLedgerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('audit');
  readonly events: EventsLedger;
  readonly checkpoints: CheckpointLog;
  /** The signing key's public half, where this process has the key (given, or in its data folder). */
  private readonly localKey?: AuditPublicKey;
  /** Only in the process that builds the tree and signs. */
  readonly builder?: AuditLedger;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(LOCAL_DATABASE) db: SqliteDatabase,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SHARED_DATABASE) shared: Pool | null,
    @Optional() @Inject(ACCESS_TREE_HEAD) access?: AccessTreeHead,
  ) {
    // With DATABASE_URL the signer is the active projector's alone (it holds the projector lock).
    if (config.runProjections && !shared) {
      const storage = ledgerStorage(db, shared);
      this.builder = new AuditLedger(store, storage, config, access ?? EMPTY_ACCESS_TREE, {
        log: (m) => this.logger.log(m),
        warn: (m) => this.logger.warn(m),
        error: (m) => this.logger.error(m),
      });
      this.events = storage.events;
      this.checkpoints = storage.checkpoints;
    } else {
      ({ events: this.events, checkpoints: this.checkpoints } = ledgerReadSide(db, shared));
    }
    // The same key as the signer's: given, or the one file in the shared data folder. An API
    // instance of the production shape has neither: it answers with the key the signer registered.
    if (config.auditSigningKey || !shared) {
      this.localKey = AuditSigningKey.loadOrCreate({
        dataDir: config.dataDir,
        pem: config.auditSigningKey,
      }).publicKey;
    }
  }

  onApplicationBootstrap(): void {
    this.builder?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.builder?.stop();
  }

  /**
   * The public key that signed checkpoint `keyId` (default: the signer's
   * latest); none registered yet: no checkpoint was signed yet either.
   */
  async publicKey(keyId?: string): Promise<AuditPublicKey> {
    if (this.localKey && (keyId === undefined || keyId === this.localKey.keyId))
      return this.localKey;
    const key = await whileAvailable(() => this.checkpoints.publicKey(keyId));
    if (!key) throw new CheckpointNotFound();
    return key;
  }

  /** Readiness: the tree builds, and it still gives the roots of every stored checkpoint. */
  check(): CheckResult | null {
    return this.builder ? ledgerCheck(this.builder) : null;
  }
}

/** A ledger builder's readiness: its tree follows the log and gives every stored checkpoint's root. */
export function ledgerCheck(builder: AuditLedger): CheckResult {
  const projection = builder.runner.status();
  const issuer = builder.issuer.status();
  return {
    ok: ['catching_up', 'live'].includes(projection.state) && issuer.state !== 'inconsistent',
    report: { tree: projection.state, checkpoints: issuer.state, brokenAt: issuer.brokenAt },
  };
}
