import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { CorrectAssessmentCommand } from './correct-assessment.command';
import { CorrectAssessmentDto } from './correct-assessment.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class CorrectAssessmentController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Corrects the items of a wrongly entered assessment; the original stays in the history. */
  @Post(':courseId/assessments/:assessmentId/correction')
  @CommandContract('CorrectAssessment', {
    summary:
      'Corrects the items of a wrongly entered assessment; the original stays in the history.',
    body: CorrectAssessmentDto,
    example: { items: [2, 2, 2, 2, 2, 2, 2, 1, 0], reason: 'item 9 was entered in the wrong row' },
    answer: 'AssessmentAnswer',
  })
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
