import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RouteContract } from '../http/openapi/contract';
import type { FastifyReply } from 'fastify';
import type { Pool } from 'pg';
import { SHARED_DATABASE } from '@ipt/database';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import {
  LIVE,
  databaseCheck,
  eventStoreCheck,
  projectionsCheck,
  readiness,
  relayCheck,
  type HealthChecks,
} from '@ipt/observability';
import { ProjectionsService } from './projections.service';
import { AuditLedgerService, ledgerCheck } from '../audit/audit-ledger.service';
import { RelayService } from './relay.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  private readonly checks: HealthChecks;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    projections: ProjectionsService,
    relay: RelayService,
    audit: AuditLedgerService,
    @Inject(SHARED_DATABASE) shared: Pool | null,
  ) {
    const sharedDatabase = shared && databaseCheck(shared);
    const inProcessProjections = projectionsCheck(() =>
      projections.runners.map((runner) => runner.status()),
    );
    this.checks = {
      eventStore: eventStoreCheck(store),
      // With DATABASE_URL: views, idempotency records and the projections live there.
      database: async () => (sharedDatabase ? sharedDatabase() : null),
      projections: () => {
        const result = inProcessProjections();
        // With RUN_PROJECTIONS=false the projector worker reports its own readiness.
        return projections.inProcess ? result : { ...result, ok: true };
      },
      // Only with KAFKA_BROKERS set does this process run a relay.
      relay: async () => (relay.configured ? relayCheck(relay)() : null),
      // The events tree builds here and still gives every stored checkpoint's root (with
      // DATABASE_URL and RUN_PROJECTIONS=true: beside the projections, while they run here).
      audit: () =>
        audit.check() ??
        (projections.ledger && projections.inProcess ? ledgerCheck(projections.ledger) : null),
    };
  }

  /** The process is up. */
  @Get('live')
  @RouteContract({
    operationId: 'getLiveness',
    summary: 'The process is up',
    success: { description: 'Live', schema: 'Liveness' },
  })
  live() {
    return LIVE;
  }

  /** Ready when the event store answers, every projection runs and, with Kafka configured, the relay is healthy. */
  @Get('ready')
  @RouteContract({
    operationId: 'getReadiness',
    summary: 'Ready: the event store answers and every projection (and relay) runs',
    success: { description: 'Ready', schema: 'Readiness' },
    alsoAnswers: [
      { status: 503, description: 'Not ready, and which check failed', schema: 'Readiness' },
    ],
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const answer = await readiness(this.checks);
    void reply.status(answer.httpStatus);
    return answer.body;
  }
}
