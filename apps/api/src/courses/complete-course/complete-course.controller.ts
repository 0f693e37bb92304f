import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { CompleteCourseCommand } from './complete-course.command';
import { CompleteCourseDto } from './complete-course.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class CompleteCourseController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Completes the course. */
  @Post(':courseId/completion')
  @CommandContract('CompleteCourse', {
    summary: 'Completes the course.',
    body: CompleteCourseDto,
    example: { completedAt: '2026-03-30T11:00:00Z' },
  })
  completeCourse(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: CompleteCourseDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new CompleteCourseCommand(
      { type: 'CompleteCourse', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
