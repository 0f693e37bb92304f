import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowRoles } from '../../http/auth.guard';
import { UuidParamPipe } from '../../http/validation';
import { COMMAND_ROLES, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { ResolveRiskFlagCommand } from './resolve-risk-flag.command';
import { ResolveRiskFlagDto } from './resolve-risk-flag.dto';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('v1/courses')
export class ResolveRiskFlagController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Resolves an open risk flag with a disposition. */
  @Post(':courseId/risk-flags/:flagId/resolution')
  @AllowRoles(...COMMAND_ROLES)
  resolveRiskFlag(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Param('flagId', UuidParamPipe) flagId: string,
    @Body() body: ResolveRiskFlagDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new ResolveRiskFlagCommand(
      { type: 'ResolveRiskFlag', data: { courseId, flagId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
