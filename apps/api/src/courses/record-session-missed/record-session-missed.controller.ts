import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { RecordSessionMissedCommand } from './record-session-missed.command';
import { RecordSessionMissedDto } from './record-session-missed.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class RecordSessionMissedController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records a scheduled session that did not take place. */
  @Post(':courseId/missed-sessions')
  @AllowRoles(...COMMAND_ROLES)
  recordSessionMissed(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: RecordSessionMissedDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new RecordSessionMissedCommand(
      { type: 'RecordSessionMissed', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
