import { CommandHandler } from '@nestjs/cqrs';
import type { ResolveRiskFlag } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class ResolveRiskFlagCommand extends CourseCommandMessage<ResolveRiskFlag> {}

@CommandHandler(ResolveRiskFlagCommand)
export class ResolveRiskFlagHandler extends CourseCommandHandler<ResolveRiskFlagCommand> {}
