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
import { PhiVault, configuredKeyStore, holdErasureFence, type KeyStore } from '@ipt/privacy';
import { Logger } from '@nestjs/common';
import { ProjectionProgress } from './projection-progress';

/** Closes the store and the local database once everything that uses them has stopped. */
class ResourcesCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOCAL_DATABASE) private readonly db: SqliteDatabase,
    @Inject(SHARED_DATABASE) private readonly shared: Pool | null,
    private readonly vault: PhiVault,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.db.close();
    await this.shared?.end();
    await this.vault.keys.close();
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
        {
          provide: PhiVault,
          inject: [EVENT_STORE, SHARED_DATABASE],
          useFactory: (store: EventStore, shared: Pool | null) =>
            openPhiVault(store, configuredKeyStore(config, shared)),
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
        PhiVault,
      ],
    };
  }
}

/**
 * The key store (DATA_DIR/keys.sqlite, or the shared database) and its vault, after the erasure fence
 * has read the log (privacy.md): an erasure a crash left half done is
 * finished, and a key a restored key store brought back is destroyed again,
 * before anything reads PHI. An event store that cannot be read yet (it is
 * down) holds no PHI to show either: the fence is then retried until it holds.
 */
async function openPhiVault(store: EventStore, keys: KeyStore): Promise<PhiVault> {
  const vault = new PhiVault(keys);
  const logger = new Logger('Privacy');
  const hold = async (): Promise<void> => {
    const report = await holdErasureFence(store, vault);
    if (report.finished > 0)
      logger.warn(`erasure fence: destroyed ${report.finished} key(s) of erased courses`);
  };
  try {
    await hold();
  } catch (error) {
    logger.warn(`erasure fence: ${(error as Error).message}; retrying`);
    const retry = setInterval(() => {
      hold().then(
        () => clearInterval(retry),
        () => undefined,
      );
    }, 1000);
    retry.unref();
  }
  return vault;
}
