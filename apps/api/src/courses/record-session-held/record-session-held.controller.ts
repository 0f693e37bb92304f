import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { RecordSessionHeldCommand } from './record-session-held.command';
import { RecordSessionHeldDto } from './record-session-held.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class RecordSessionHeldController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records a session that was held; sessions are numbered 1, 2, 3… in order. */
  @Post(':courseId/sessions')
  @CommandContract('RecordSessionHeld', {
    summary: 'Records a session that was held; sessions are numbered 1, 2, 3… in order.',
    body: RecordSessionHeldDto,
    example: {
      sessionNumber: 1,
      heldAt: '2026-01-05T10:00:00Z',
      durationMinutes: 50,
      modality: 'in_person',
    },
  })
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
