import { Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Database } from 'better-sqlite3';
import { resolveJwtSecret } from '@ipt/auth';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { EVENT_STORE, openEventStore, type EventStore } from '@ipt/event-store';
import { CourseAuditController } from './audit/course-audit.controller';
import { COURSE_COMMAND_CONTROLLERS, COURSE_COMMAND_HANDLERS } from './courses';
import { CourseCommandsService } from './courses/course-commands.service';
import { IdempotencyRecords } from './courses/idempotency-records';
import { AuthGuard, JWT_SECRET } from './http/auth.guard';
import { LOCAL_DATABASE } from './infrastructure/local-database';
import { openReadModelDatabase } from '@ipt/projections';
import { ProjectionsService } from './infrastructure/projections.service';
import { RelayService } from './infrastructure/relay.service';
import { AsyncApiController } from './operations/asyncapi.controller';
import { HealthController } from './operations/health.controller';
import { MetricsController } from './operations/metrics.controller';
import { ProjectionsAdminController } from './operations/projections-admin.controller';
import { ClinicSummaryController } from './views/clinic-summary.controller';
import { CourseViewsController } from './views/course-views.controller';
import { ViewReader } from './views/view-reader.service';

/** Closes the store and the local database last, after projections and relay stopped. */
class ResourcesCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOCAL_DATABASE) private readonly db: Database,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.db.close();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [
        ...COURSE_COMMAND_CONTROLLERS,
        CourseViewsController,
        ClinicSummaryController,
        CourseAuditController,
        HealthController,
        MetricsController,
        ProjectionsAdminController,
        AsyncApiController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config) },
        { provide: LOCAL_DATABASE, useFactory: () => openReadModelDatabase(config.dataDir) },
        {
          provide: JWT_SECRET,
          useFactory: () => resolveJwtSecret(config.authJwtSecret, config.dataDir),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        ResourcesCloser,
        IdempotencyRecords,
        CourseCommandsService,
        ...COURSE_COMMAND_HANDLERS,
        ViewReader,
        ProjectionsService,
        RelayService,
      ],
    };
  }
}
