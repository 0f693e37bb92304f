import { CommandHandler } from '@nestjs/cqrs';
import type { AssignHomework } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class AssignHomeworkCommand extends CourseCommandMessage<AssignHomework> {}

@CommandHandler(AssignHomeworkCommand)
export class AssignHomeworkHandler extends CourseCommandHandler<AssignHomeworkCommand> {}
