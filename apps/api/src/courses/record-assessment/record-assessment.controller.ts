import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { RecordAssessmentCommand } from './record-assessment.command';
import { RecordAssessmentDto } from './record-assessment.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class RecordAssessmentController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records a scored rating scale; answers its total, severity and any risk flag raised. */
  @Post(':courseId/assessments')
  @AllowRoles(...COMMAND_ROLES)
  recordAssessment(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: RecordAssessmentDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new RecordAssessmentCommand(
      { type: 'RecordAssessment', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
