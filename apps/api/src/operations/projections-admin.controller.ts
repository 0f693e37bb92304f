import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { BODY_REFUSALS, RouteContract } from '../http/openapi/contract';
import { ProjectionNotFound, ProjectionsNotInProcess } from '../application/errors';
import { ProjectionsService } from './projections.service';

@ApiTags('operations')
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(private readonly projections: ProjectionsService) {}

  /** Each projection's checkpoint and state. */
  @Get()
  @RouteContract({
    operationId: 'listProjections',
    summary: 'Each projection’s checkpoint, state and last error',
    roles: ['admin'],
    success: { description: 'The projections', schema: 'ProjectionList' },
  })
  list() {
    return { projections: this.projections.runners.map((runner) => runner.status()) };
  }

  /** Replays one projection from the start of the log (answers 202 at once). */
  @Post(':name/rebuild')
  @RouteContract({
    operationId: 'rebuildProjection',
    summary: 'Replays one projection into a shadow copy, then switches over (answers at once)',
    roles: ['admin'],
    success: { status: 202, description: 'The rebuild started', schema: 'ProjectionStatus' },
    // A POST's body is parsed (and refused) before the route, though this one reads none.
    refusals: ['projection_not_found', 'projections_not_in_process', ...BODY_REFUSALS],
  })
  @HttpCode(202)
  async rebuild(@Param('name') name: string) {
    const runner = this.projections.runner(name);
    if (!runner) throw new ProjectionNotFound();
    if (!this.projections.inProcess) {
      throw new ProjectionsNotInProcess();
    }
    await runner.rebuild();
    return runner.status();
  }
}
