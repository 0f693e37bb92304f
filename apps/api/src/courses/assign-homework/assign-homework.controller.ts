import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { AssignHomeworkCommand } from './assign-homework.command';
import { AssignHomeworkDto } from './assign-homework.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class AssignHomeworkController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Assigns homework in a held session. */
  @Post(':courseId/homework')
  @AllowRoles(...COMMAND_ROLES)
  assignHomework(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: AssignHomeworkDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new AssignHomeworkCommand(
      { type: 'AssignHomework', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
