import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { RecordAssessmentCommand } from './record-assessment.command';
import { RecordAssessmentDto } from './record-assessment.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class RecordAssessmentController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records a scored rating scale; answers its total, severity and any risk flag raised. */
  @Post(':courseId/assessments')
  @CommandContract('RecordAssessment', {
    summary: 'Records a scored rating scale; answers its total, severity and any risk flag raised.',
    body: RecordAssessmentDto,
    example: {
      assessmentId: '0b8f7e6d-5c4b-4a39-8281-7f6e5d4c3b2a',
      instrument: 'PHQ-9',
      timepoint: 'baseline',
      administeredAt: '2026-01-05T09:30:00Z',
      items: [2, 2, 2, 2, 2, 2, 2, 2, 1],
    },
    answer: 'AssessmentAnswer',
  })
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
