/**
 * What operators use: health, metrics, the AsyncAPI document and the
 * projections admin, with the in-process workers they observe (projections,
 * relay). The workers stop before the infrastructure closes the store: Nest
 * shuts the global infrastructure module down last.
 */
import { Module } from '@nestjs/common';
import { AsyncApiController } from './asyncapi.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { OperationsMetrics } from './operations-metrics';
import { ProjectionsAdminController } from './projections-admin.controller';
import { ProjectionsService } from './projections.service';
import { RelayService } from './relay.service';
import { ViewsModule } from '../views/views.module';
import { AuditModule } from '../audit/audit.module';

@Module({
  imports: [ViewsModule, AuditModule],
  controllers: [
    HealthController,
    MetricsController,
    ProjectionsAdminController,
    AsyncApiController,
  ],
  providers: [ProjectionsService, RelayService, OperationsMetrics],
})
export class OperationsModule {}
