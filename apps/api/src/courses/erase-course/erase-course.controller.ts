import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Role } from '@ipt/course';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { EraseCourseCommand } from './erase-course.command';
import { EraseCourseDto } from './erase-course.dto';

/** privacy.md: only the privacy officer erases. */
const ERASURE_ROLES: Role[] = ['privacy_officer'];

@ApiTags('privacy')
@Controller('v1/courses')
export class EraseCourseController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':courseId/erasure')
  @CommandContract('EraseCourse', {
    summary: "Erase the course's personal data (crypto-shredding)",
    description:
      'Appends PersonalDataErased, destroys the course key (leaving a tombstone) and answers ' +
      'the receipt. Every later command answers 409 course_erased; a second erasure too.',
    roles: ERASURE_ROLES,
    body: EraseCourseDto,
    example: { reason: 'data_subject_request', reference: 'DPO-2026-0142' },
    answer: 'ErasureReceipt',
  })
  eraseCourse(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: EraseCourseDto,
    @Envelope(ERASURE_ROLES) envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new EraseCourseCommand(
      { type: 'EraseCourse', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
