import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import { ProjectionsService } from './projections.service';
import { RelayService } from './relay.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionsService,
    private readonly relay: RelayService,
  ) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'live' };
  }

  /** Ready when the event store answers, every projection runs and, with Kafka configured, the relay is healthy. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const eventStore = await this.store.ping().catch(() => false);
    const projections = this.projections.runners.map((runner) => runner.status());
    const relay = await this.relay.status();
    const ready = eventStore && this.projections.running() && (relay === null || relay.healthy);
    void reply.status(ready ? 200 : 503);
    return {
      status: ready ? 'ready' : 'not_ready',
      checks: {
        eventStore: eventStore ? 'up' : 'down',
        projections: projections.map(({ name, state, lastError }) => ({ name, state, lastError })),
        ...(relay === null ? {} : { relay }),
      },
    };
  }
}
