import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { RecordSessionMissedCommand } from './record-session-missed.command';
import { RecordSessionMissedDto } from './record-session-missed.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class RecordSessionMissedController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records a scheduled session that did not take place. */
  @Post(':courseId/missed-sessions')
  @CommandContract('RecordSessionMissed', {
    summary: 'Records a scheduled session that did not take place.',
    body: RecordSessionMissedDto,
    example: { scheduledAt: '2026-01-12T10:00:00Z', kind: 'cancelled_by_patient' },
  })
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
