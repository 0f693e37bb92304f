import { CommandHandler } from '@nestjs/cqrs';
import type { RecordSessionMissed } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class RecordSessionMissedCommand extends CourseCommandMessage<RecordSessionMissed> {}

@CommandHandler(RecordSessionMissedCommand)
export class RecordSessionMissedHandler extends CourseCommandHandler<RecordSessionMissedCommand> {}
