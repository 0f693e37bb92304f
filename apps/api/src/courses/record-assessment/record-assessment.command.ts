import { CommandHandler } from '@nestjs/cqrs';
import type { RecordAssessment } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class RecordAssessmentCommand extends CourseCommandMessage<RecordAssessment> {}

@CommandHandler(RecordAssessmentCommand)
export class RecordAssessmentHandler extends CourseCommandHandler<RecordAssessmentCommand> {}
