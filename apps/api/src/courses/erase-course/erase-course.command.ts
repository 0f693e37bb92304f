import { CommandHandler } from '@nestjs/cqrs';
import type { EraseCourse } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class EraseCourseCommand extends CourseCommandMessage<EraseCourse> {}

@CommandHandler(EraseCourseCommand)
export class EraseCourseHandler extends CourseCommandHandler<EraseCourseCommand> {}
