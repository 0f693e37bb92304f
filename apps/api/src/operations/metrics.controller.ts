import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import { ProjectionsService } from './projections.service';
import { RelayService } from './relay.service';
import { ViewReader } from '../views/view-reader.service';

/** Prometheus text format (api.md, operations). */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionsService,
    private readonly relay: RelayService,
    private readonly views: ViewReader,
  ) {}

  @Get()
  async metrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const head = await this.store.headPosition().catch(() => null);
    const lines = [
      '# HELP ipt_event_store_up Whether the event store answered.',
      '# TYPE ipt_event_store_up gauge',
      `ipt_event_store_up ${head === null ? Number(await this.store.ping().catch(() => false)) : 1}`,
      '# HELP ipt_event_store_head_position Position of the last event in the global log.',
      '# TYPE ipt_event_store_head_position gauge',
      `ipt_event_store_head_position ${head ?? 0}`,
      '# HELP ipt_projection_events_applied_total Events applied by each projection since start.',
      '# TYPE ipt_projection_events_applied_total counter',
      '# HELP ipt_projection_checkpoint_position Global log position each projection has applied.',
      '# TYPE ipt_projection_checkpoint_position gauge',
      '# HELP ipt_projection_live Whether each projection has caught up with the log.',
      '# TYPE ipt_projection_live gauge',
      '# HELP ipt_projection_failed Whether each projection stopped at an event it cannot read.',
      '# TYPE ipt_projection_failed gauge',
    ];
    for (const runner of this.projections.runners) {
      const status = runner.status();
      const label = `{projection="${status.name}"}`;
      lines.push(`ipt_projection_events_applied_total${label} ${status.eventsApplied}`);
      lines.push(`ipt_projection_checkpoint_position${label} ${status.checkpoint ?? 0}`);
      lines.push(`ipt_projection_live${label} ${status.state === 'live' ? 1 : 0}`);
      lines.push(`ipt_projection_failed${label} ${status.state === 'failed' ? 1 : 0}`);
    }
    lines.push(
      '# HELP ipt_courses_at_risk Active courses at risk of dropout now, per clinic and reason (a course with two reasons counts under both).',
      '# TYPE ipt_courses_at_risk gauge',
    );
    for (const c of this.views.queries.countAtRiskByClinicAndReason(Date.now())) {
      lines.push(
        `ipt_courses_at_risk{clinic_id=${JSON.stringify(c.clinicId)},reason="${c.reason}"} ${c.courses}`,
      );
    }
    const relay = await this.relay.metricsText();
    void reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return lines.join('\n') + '\n' + (relay ? relay.trimEnd() + '\n' : '');
  }
}
