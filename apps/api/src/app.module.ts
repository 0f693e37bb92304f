/**
 * The API: one module per feature over the shared infrastructure; the HTTP
 * edge (authentication here, problem+json and body validation in main.ts)
 * wraps them all.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TokenVerifier, resolveJwtSecret } from '@ipt/auth';
import type { AppConfig } from '@ipt/config';
import { AuditModule } from './audit/audit.module';
import { CoursesModule } from './courses/courses.module';
import { ExportsModule } from './exports/exports.module';
import { AuthGuard, JWT_SECRET } from './http/auth.guard';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { loggingModule } from './infrastructure/logging';
import { OperationsModule } from './operations/operations.module';
import { ViewsModule } from './views/views.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forRoot(config),
        loggingModule(config),
        CqrsModule.forRoot(),
        CoursesModule,
        ViewsModule,
        AuditModule,
        ExportsModule,
        OperationsModule,
      ],
      providers: [
        {
          provide: JWT_SECRET,
          useFactory: () => resolveJwtSecret(config.authJwtSecret, config.dataDir),
        },
        {
          provide: TokenVerifier,
          useFactory: (secret: string) => new TokenVerifier(secret),
          inject: [JWT_SECRET],
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
