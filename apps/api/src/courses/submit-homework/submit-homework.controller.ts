import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { SubmitHomeworkCommand } from './submit-homework.command';
import { SubmitHomeworkDto } from './submit-homework.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class SubmitHomeworkController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records that the patient submitted an assigned homework. */
  @Post(':courseId/homework/:homeworkId/submission')
  @AllowRoles(...COMMAND_ROLES)
  submitHomework(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Param('homeworkId') homeworkId: string,
    @Body() body: SubmitHomeworkDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new SubmitHomeworkCommand(
      { type: 'SubmitHomework', data: { courseId, homeworkId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
