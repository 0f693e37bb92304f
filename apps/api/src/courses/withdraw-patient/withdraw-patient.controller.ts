import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { WithdrawPatientCommand } from './withdraw-patient.command';
import { WithdrawPatientDto } from './withdraw-patient.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class WithdrawPatientController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Records that the patient left the course before completing it. */
  @Post(':courseId/withdrawal')
  @CommandContract('WithdrawPatient', {
    summary: 'Records that the patient left the course before completing it.',
    body: WithdrawPatientDto,
    example: { withdrawnAt: '2026-02-20T09:00:00Z', reason: 'moved' },
  })
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
