import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { UuidParamPipe } from '../../http/validation';
import { CommandContract, Envelope, sendCommand } from '../course-command';
import type { CommandEnvelope } from '../course-commands.service';
import { SelectProblemAreaCommand } from './select-problem-area.command';
import { SelectProblemAreaDto } from './select-problem-area.dto';

@ApiTags('commands')
@Controller('v1/courses')
export class SelectProblemAreaController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Selects (or, with a reason, changes) the problem area the middle phase works on. */
  @Post(':courseId/problem-area')
  @CommandContract('SelectProblemArea', {
    summary: 'Selects (or, with a reason, changes) the problem area the middle phase works on.',
    body: SelectProblemAreaDto,
    example: { area: 'role_transition' },
  })
  selectProblemArea(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Body() body: SelectProblemAreaDto,
    @Envelope() envelope: CommandEnvelope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new SelectProblemAreaCommand(
      { type: 'SelectProblemArea', data: { courseId, ...body } },
      envelope,
    );
    return sendCommand(this.commandBus, command, reply);
  }
}
