/**
 * The API: one module per feature over the shared infrastructure; the HTTP
 * edge (authentication here, problem+json and body validation in main.ts)
 * wraps them all.
 */
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import {
  JwksTokenVerifier,
  SharedSecretTokenVerifier,
  resolveJwtSecret,
  type TokenVerifier,
} from '@ipt/auth';
import type { AppConfig } from '@ipt/config';
import { AuditModule } from './audit/audit.module';
import { CoursesModule } from './courses/courses.module';
import { ExportsModule } from './exports/exports.module';
import { AuthGuard, TOKEN_VERIFIER } from './http/auth.guard';
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
        { provide: TOKEN_VERIFIER, useFactory: () => tokenVerifier(config) },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}

/** The identity provider's JWKS when configured, else HS256 with the embedded mode's secret. */
function tokenVerifier(config: AppConfig): TokenVerifier {
  const jwks = config.authJwks;
  if (!jwks) {
    return new SharedSecretTokenVerifier(resolveJwtSecret(config.authJwtSecret, config.dataDir));
  }
  const log = new Logger('Auth');
  return new JwksTokenVerifier({
    jwksUrl: jwks.jwksUrl,
    issuer: jwks.issuer,
    audience: jwks.audience,
    clinicClaim: jwks.clinicClaim,
    rolesClaim: jwks.rolesClaim,
    cooldownSeconds: jwks.jwksCooldownSeconds,
    maxAgeSeconds: jwks.jwksMaxAgeSeconds,
    clockToleranceSeconds: jwks.clockToleranceSeconds,
    onFetchError: (error) =>
      log.warn(`JWKS fetch failed, keeping the cached keys: ${error.name}: ${error.message}`),
  });
}
