import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowRoles } from '../http/auth.guard';
import { ProjectionNotFound, ProjectionsNotInProcess } from '../application/errors';
import { ProjectionsService } from './projections.service';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(private readonly projections: ProjectionsService) {}

  /** Each projection's checkpoint and state. */
  @Get()
  @AllowRoles('admin')
  list() {
    return { projections: this.projections.runners.map((runner) => runner.status()) };
  }

  /** Replays one projection from the start of the log (answers 202 at once). */
  @Post(':name/rebuild')
  @AllowRoles('admin')
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
