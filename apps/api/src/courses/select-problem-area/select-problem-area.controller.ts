import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { SelectProblemAreaCommand } from './select-problem-area.command';
import { SelectProblemAreaDto } from './select-problem-area.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class SelectProblemAreaController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Selects (or, with a reason, changes) the problem area the middle phase works on. */
  @Post(':courseId/problem-area')
  @AllowRoles(...COMMAND_ROLES)
  selectProblemArea(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: SelectProblemAreaDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new SelectProblemAreaCommand(
      { type: 'SelectProblemArea', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
