import { CommandHandler } from '@nestjs/cqrs';
import type { SubmitHomework } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class SubmitHomeworkCommand extends CourseCommandMessage<SubmitHomework> {}

@CommandHandler(SubmitHomeworkCommand)
export class SubmitHomeworkHandler extends CourseCommandHandler<SubmitHomeworkCommand> {}
