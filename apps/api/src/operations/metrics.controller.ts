import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RouteContract } from '../http/openapi/contract';
import type { FastifyReply } from 'fastify';
import { ApiMetrics } from '../infrastructure/api-metrics';

/** Prometheus text format from the process's prom-client registry (api.md, operations). */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly apiMetrics: ApiMetrics) {}

  @Get()
  @RouteContract({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this process',
    success: {
      description: 'Prometheus text exposition format 0.0.4',
      schema: { text: '# HELP ipt_commands_total Commands by type and outcome\n' },
      contentType: 'text/plain',
    },
  })
  async metrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('content-type', this.apiMetrics.registry.contentType);
    return this.apiMetrics.registry.metrics();
  }
}
