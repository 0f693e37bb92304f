import { CommandHandler } from '@nestjs/cqrs';
import type { CompleteCourse } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class CompleteCourseCommand extends CourseCommandMessage<CompleteCourse> {}

@CommandHandler(CompleteCourseCommand)
export class CompleteCourseHandler extends CourseCommandHandler<CompleteCourseCommand> {}
