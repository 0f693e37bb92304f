/**
 * What every feature shares: the configuration, the event store, the local
 * (read-model) database and the process's metrics registry. Global, so Nest starts it first and shuts it down
 * last, after the features' workers have stopped.
 */
import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import {
  EVENT_STORE,
  openEventStore,
  type EventStore,
  type SqliteDatabase,
} from '@ipt/event-store';
import { openReadModelDatabase } from '@ipt/projections';
import { ApiMetrics } from './api-metrics';
import { stopTracing } from '@ipt/telemetry';
import { LOCAL_DATABASE } from './local-database';
import { ProjectionProgress } from './projection-progress';

/** Closes the store and the local database once everything that uses them has stopped. */
class ResourcesCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOCAL_DATABASE) private readonly db: SqliteDatabase,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.db.close();
    // Last: the spans of everything that stopped before are flushed to the exporter.
    await stopTracing();
  }
}

@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config) },
        { provide: LOCAL_DATABASE, useFactory: () => openReadModelDatabase(config.dataDir) },
        ProjectionProgress,
        ResourcesCloser,
        ApiMetrics,
      ],
      exports: [APP_CONFIG, EVENT_STORE, LOCAL_DATABASE, ApiMetrics, ProjectionProgress],
    };
  }
}
