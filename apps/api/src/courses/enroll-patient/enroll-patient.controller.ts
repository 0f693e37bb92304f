import { Body, Controller, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { EnrollPatientCommand } from './enroll-patient.command';
import { EnrollPatientDto } from './enroll-patient.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class EnrollPatientController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Enrolls a screened patient in a new IPT course (answers 201). */
  @Post()
  @CommandContract('EnrollPatient', {
    summary: 'Enrolls a screened patient in a new IPT course.',
    body: EnrollPatientDto,
    example: {
      courseId: '6f1c2b9e-4a7d-4e0b-9c55-1d2e3f405162',
      patientRef: 'MRN-0042',
      therapistId: 't-17',
      plannedSessions: 12,
      enrolledAt: '2026-01-05T09:00:00Z',
      screening: {
        psychosis: false,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      },
    },
    status: 201,
  })
  enroll(
    @Body() body: EnrollPatientDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = { ...body, courseId: body.courseId.toLowerCase() };
    return sendCommand(
      this.commandBus,
      new EnrollPatientCommand({ type: 'EnrollPatient', data }, envelope),
      reply,
    );
  }
}
