import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { AssignHomeworkCommand } from './assign-homework.command';
import { AssignHomeworkDto } from './assign-homework.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class AssignHomeworkController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Assigns homework in a held session. */
  @Post(':courseId/homework')
  @CommandContract('AssignHomework', {
    summary: 'Assigns homework in a held session.',
    body: AssignHomeworkDto,
    example: {
      homeworkId: 'hw-3',
      sessionNumber: 3,
      dueAt: '2026-01-26T09:00:00Z',
      description: 'Keep an interpersonal inventory of three contacts this week',
    },
  })
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
