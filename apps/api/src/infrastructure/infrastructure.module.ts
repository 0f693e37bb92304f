/**
 * What every feature shares: the configuration, the event store, the local
 * (read-model) database, the shared PostgreSQL database when DATABASE_URL is set and the process's metrics registry. Global, so Nest starts it first and shuts it down
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
import type { Pool } from 'pg';
import { SHARED_DATABASE, openSharedDatabase } from '@ipt/database';
import {
  PostgresReadModelReader,
  READ_MODELS,
  SqliteReadModelReader,
  openReadModelDatabase,
} from '@ipt/projections';
import { ApiMetrics } from './api-metrics';
import { stopTracing } from '@ipt/telemetry';
import { LOCAL_DATABASE } from './local-database';
import { ProjectionProgress } from './projection-progress';

/** Closes the store and the local database once everything that uses them has stopped. */
class ResourcesCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOCAL_DATABASE) private readonly db: SqliteDatabase,
    @Inject(SHARED_DATABASE) private readonly shared: Pool | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.db.close();
    await this.shared?.end();
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
        {
          // DATABASE_URL: PostgreSQL, its schema migrated before anything uses it; else none (SQLite).
          provide: SHARED_DATABASE,
          useFactory: () =>
            config.databaseUrl
              ? openSharedDatabase(config.databaseUrl, { applicationName: 'ipt-course-ledger-api' })
              : null,
        },
        {
          // The views are read from where the projections write them.
          provide: READ_MODELS,
          inject: [SHARED_DATABASE, LOCAL_DATABASE],
          useFactory: (shared: Pool | null, local: SqliteDatabase) =>
            shared ? new PostgresReadModelReader(shared) : new SqliteReadModelReader(local),
        },
        ProjectionProgress,
        ResourcesCloser,
        ApiMetrics,
      ],
      exports: [
        APP_CONFIG,
        EVENT_STORE,
        LOCAL_DATABASE,
        SHARED_DATABASE,
        READ_MODELS,
        ApiMetrics,
        ProjectionProgress,
      ],
    };
  }
}
