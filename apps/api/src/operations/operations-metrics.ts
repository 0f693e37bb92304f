/**
 * The figures of the workers running in the API process, read at each
 * scrape: the projections (unless a projector worker runs them) and the relay
 * (when KAFKA_BROKERS is set).
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import {
  registerAtRiskMetrics,
  registerProjectionMetrics,
  registerRelayMetrics,
} from '@ipt/observability';
import { courseLogHead } from '@ipt/projections';
import { ApiMetrics } from '../infrastructure/api-metrics';
import { ProjectionsService } from './projections.service';
import { RelayService } from './relay.service';
import { ViewReader } from '../views/view-reader.service';

@Injectable()
export class OperationsMetrics implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly metrics: ApiMetrics,
    private readonly projections: ProjectionsService,
    private readonly relay: RelayService,
    private readonly views: ViewReader,
  ) {}

  onModuleInit(): void {
    const { registry } = this.metrics;
    // With RUN_PROJECTIONS=false the projector reports its projections itself.
    if (this.config.runProjections) {
      registerProjectionMetrics(registry, {
        statuses: () => this.projections.runners.map((runner) => runner.status()),
        head: () => courseLogHead(this.store),
      });
    }
    registerAtRiskMetrics(registry, () =>
      this.views.queries.countAtRiskByClinicAndReason(Date.now()),
    );
    if (this.relay.configured) {
      registerRelayMetrics(registry, {
        status: async () => (await this.relay.status()) ?? NOT_STARTED,
        onCommitted: (listener) => this.relay.onCommitted(listener),
      });
    }
  }
}

const NOT_STARTED = {
  state: 'starting',
  fenced: false,
  checkpoint: null,
  lag: null,
  eventsRelayed: 0,
  batchesCommitted: 0,
  errors: 0,
};
