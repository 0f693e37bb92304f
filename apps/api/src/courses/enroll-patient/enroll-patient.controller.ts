import { Body, Controller, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { EnrollPatientCommand } from './enroll-patient.command';
import { EnrollPatientDto } from './enroll-patient.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class EnrollPatientController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Enrolls a screened patient in a new IPT course (answers 201). */
  @Post()
  @AllowRoles(...COMMAND_ROLES)
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
