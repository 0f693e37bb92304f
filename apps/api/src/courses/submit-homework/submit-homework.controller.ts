import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { SubmitHomeworkCommand } from './submit-homework.command';
import { SubmitHomeworkDto } from './submit-homework.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class SubmitHomeworkController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records that the patient submitted an assigned homework. */
  @Post(':courseId/homework/:homeworkId/submission')
  @CommandContract('SubmitHomework', {
    summary: 'Records that the patient submitted an assigned homework.',
    body: SubmitHomeworkDto,
    example: { submittedAt: '2026-01-25T18:00:00Z' },
  })
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
