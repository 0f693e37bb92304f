import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { BODY_REFUSALS, DATABASE_REFUSALS, RouteContract } from '../http/openapi/contract';
import { ProjectionNotFound } from '../application/errors';
import { ProjectionsService } from './projections.service';

@ApiTags('operations')
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(private readonly projections: ProjectionsService) {}

  /** Each projection's checkpoint, state and rebuild (under way, asked for, or the last one). */
  @Get()
  @RouteContract({
    operationId: 'listProjections',
    summary: 'Each projection’s checkpoint, state, last error and rebuild',
    roles: ['admin'],
    success: { description: 'The projections', schema: 'ProjectionList' },
    refusals: [...DATABASE_REFUSALS],
  })
  async list() {
    // With DATABASE_URL the rebuilds are in the shared database, carried out by the lock holder.
    await Promise.all(this.projections.runners.map((runner) => runner.refreshRebuild()));
    return { projections: this.projections.runners.map((runner) => runner.status()) };
  }

  /**
   * Asks for a rebuild without an outage (answers 202 at once): the process
   * that runs the projections (this one, or the projector worker) replays the
   * log into a shadow copy while the current one keeps answering, then switches
   * over. Asked again while one is open, it answers that one.
   */
  @Post(':name/rebuild')
  @RouteContract({
    operationId: 'rebuildProjection',
    summary:
      'Asks for a rebuild into a shadow copy, switched over once caught up (answers at once)',
    roles: ['admin'],
    success: { status: 202, description: 'The rebuild started', schema: 'ProjectionStatus' },
    // A POST's body is parsed (and refused) before the route, though this one reads none.
    refusals: ['projection_not_found', ...DATABASE_REFUSALS, ...BODY_REFUSALS],
  })
  @HttpCode(202)
  async rebuild(@Param('name') name: string) {
    const runner = this.projections.runner(name);
    if (!runner || !(await runner.requestRebuild())) throw new ProjectionNotFound();
    return runner.status();
  }
}
