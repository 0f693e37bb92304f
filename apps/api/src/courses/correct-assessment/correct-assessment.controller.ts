import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { CorrectAssessmentCommand } from './correct-assessment.command';
import { CorrectAssessmentDto } from './correct-assessment.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class CorrectAssessmentController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Corrects the items of a wrongly entered assessment; the original stays in the history. */
  @Post(':courseId/assessments/:assessmentId/correction')
  @AllowRoles(...COMMAND_ROLES)
  correctAssessment(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Param('assessmentId', UuidParamPipe) assessmentId: string,
    @Body() body: CorrectAssessmentDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new CorrectAssessmentCommand(
      { type: 'CorrectAssessment', data: { courseId, assessmentId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
