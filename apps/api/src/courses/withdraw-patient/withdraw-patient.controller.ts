import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { WithdrawPatientCommand } from './withdraw-patient.command';
import { WithdrawPatientDto } from './withdraw-patient.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class WithdrawPatientController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records that the patient left the course before completing it. */
  @Post(':courseId/withdrawal')
  @AllowRoles(...COMMAND_ROLES)
  withdrawPatient(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: WithdrawPatientDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new WithdrawPatientCommand(
      { type: 'WithdrawPatient', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
