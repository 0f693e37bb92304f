/**
 * Starts the projections with the app and stops them with it. They read the
 * event store's ordered log, never the in-memory EventBus (architecture.md).
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { EVENT_STORE, type EventStore, type SqliteDatabase } from '@ipt/event-store';
import type { Pool } from 'pg';
import { AdvisoryLease, PROJECTOR_LOCK, SHARED_DATABASE } from '@ipt/database';
import {
  AuditLedger,
  ProjectionRunner,
  createPostgresReadModelTargets,
  createReadModelProjections,
  ledgerStorage,
  postgresAccessTreeHead,
  sqliteProjectionTarget,
} from '@ipt/projections';
import { LOCAL_DATABASE } from '../infrastructure/local-database';
import { PhiVault } from '@ipt/privacy';
import { ProjectionProgress } from '../infrastructure/projection-progress';

@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projections');
  readonly runners: ProjectionRunner[];
  /** With DATABASE_URL: projections run here only while this process holds the projector lock. */
  private lease?: AdvisoryLease;
  /**
   * With DATABASE_URL and RUN_PROJECTIONS=true: the ledger's events tree and the one checkpoint
   * signer, in PostgreSQL, run beside the projections while this process holds the projector
   * lock (without DATABASE_URL, AuditLedgerService runs them on the local files).
   */
  readonly ledger?: AuditLedger;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(LOCAL_DATABASE) db: SqliteDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    progress: ProjectionProgress,
    @Inject(SHARED_DATABASE) shared: Pool | null,
    vault: PhiVault,
  ) {
    const targets = shared
      ? createPostgresReadModelTargets(shared)
      : createReadModelProjections().map((projection) => sqliteProjectionTarget(db, projection));
    this.runners = targets.map(
      (target) => new ProjectionRunner(store, target, this.logger, { vault }),
    );
    for (const runner of this.runners) runner.onApplied((_, events) => progress.applied(events));
    if (shared && config.runProjections) {
      this.ledger = new AuditLedger(
        store,
        ledgerStorage(db, shared),
        config,
        postgresAccessTreeHead(shared),
        {
          log: (m) => this.logger.log(m),
          warn: (m) => this.logger.warn(m),
          error: (m) => this.logger.error(m),
        },
      );
    }
  }

  /**
   * False when a projector worker builds the read models (RUN_PROJECTIONS=false),
   * or, with DATABASE_URL, while another process holds the projector lock.
   */
  get inProcess(): boolean {
    return this.config.runProjections && (!this.lease || this.lease.active);
  }

  onApplicationBootstrap(): void {
    if (!this.inProcess) return;
    if (!this.config.databaseUrl) {
      for (const runner of this.runners) runner.start();
      return;
    }
    // Shared read models: one projecting process at a time, whichever holds the lock.
    const lease = (this.lease = new AdvisoryLease(this.config.databaseUrl, PROJECTOR_LOCK, {
      applicationName: 'ipt-course-ledger-api-projections',
    }));
    lease.onLost(() => {
      this.logger.warn('projector lock lost: projections stop here and wait for it again');
      void Promise.all([...this.runners.map((runner) => runner.stop()), this.ledger?.pause()]).then(
        () => this.contend(),
      );
    });
    this.contend();
  }

  private contend(): void {
    const lease = this.lease;
    if (!lease) return;
    void lease.acquire().then((active) => {
      if (!active) return;
      this.logger.log('projector lock held: projecting');
      for (const runner of this.runners) runner.start();
      this.ledger?.start();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.ledger?.stop();
    await lease?.release();
  }

  runner(name: string): ProjectionRunner | undefined {
    return this.runners.find((runner) => runner.projection.name === name);
  }

  /** Every projection is following the log (not stopped, not failing). */
  running(): boolean {
    if (!this.inProcess) return true; // the projector reports its own readiness
    return this.runners.every((runner) => ['catching_up', 'live'].includes(runner.status().state));
  }
}
