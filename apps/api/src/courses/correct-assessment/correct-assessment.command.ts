import { CommandHandler } from '@nestjs/cqrs';
import type { CorrectAssessment } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class CorrectAssessmentCommand extends CourseCommandMessage<CorrectAssessment> {}

@CommandHandler(CorrectAssessmentCommand)
export class CorrectAssessmentHandler extends CourseCommandHandler<CorrectAssessmentCommand> {}
