import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { RecordSessionHeldCommand } from './record-session-held.command';
import { RecordSessionHeldDto } from './record-session-held.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class RecordSessionHeldController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records a session that was held; sessions are numbered 1, 2, 3… in order. */
  @Post(':courseId/sessions')
  @AllowRoles(...COMMAND_ROLES)
  recordSessionHeld(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: RecordSessionHeldDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new RecordSessionHeldCommand(
      { type: 'RecordSessionHeld', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
