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
import { ProjectionRunner, createReadModelProjections } from '@ipt/projections';
import { LOCAL_DATABASE } from '../infrastructure/local-database';
import { PhiVault } from '@ipt/privacy';
import { ProjectionProgress } from '../infrastructure/projection-progress';

@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projections');
  readonly runners: ProjectionRunner[];

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(LOCAL_DATABASE) db: SqliteDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    progress: ProjectionProgress,
    vault: PhiVault,
  ) {
    this.runners = createReadModelProjections().map(
      (projection) => new ProjectionRunner(store, db, projection, this.logger, vault),
    );
    for (const runner of this.runners) runner.onApplied((_, events) => progress.applied(events));
  }

  /** False when a projector worker builds the read models (RUN_PROJECTIONS=false). */
  get inProcess(): boolean {
    return this.config.runProjections;
  }

  onApplicationBootstrap(): void {
    if (!this.inProcess) return;
    for (const runner of this.runners) runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
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
