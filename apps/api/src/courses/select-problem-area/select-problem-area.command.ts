import { CommandHandler } from '@nestjs/cqrs';
import type { SelectProblemArea } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class SelectProblemAreaCommand extends CourseCommandMessage<SelectProblemArea> {}

@CommandHandler(SelectProblemAreaCommand)
export class SelectProblemAreaHandler extends CourseCommandHandler<SelectProblemAreaCommand> {}
