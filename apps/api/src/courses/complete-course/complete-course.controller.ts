import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { CompleteCourseCommand } from './complete-course.command';
import { CompleteCourseDto } from './complete-course.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class CompleteCourseController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Completes the course. */
  @Post(':courseId/completion')
  @AllowRoles(...COMMAND_ROLES)
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
