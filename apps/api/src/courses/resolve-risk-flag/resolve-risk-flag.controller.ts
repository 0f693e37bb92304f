import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { ResolveRiskFlagCommand } from './resolve-risk-flag.command';
import { ResolveRiskFlagDto } from './resolve-risk-flag.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class ResolveRiskFlagController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Resolves an open risk flag with a disposition. */
  @Post(':courseId/risk-flags/:flagId/resolution')
  @CommandContract('ResolveRiskFlag', {
    summary: 'Resolves an open risk flag with a disposition.',
    body: ResolveRiskFlagDto,
    example: { disposition: 'safety_plan', note: 'safety plan agreed and shared with the GP' },
  })
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
