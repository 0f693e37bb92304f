import { CommandHandler } from '@nestjs/cqrs';
import type { RecordSessionHeld } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class RecordSessionHeldCommand extends CourseCommandMessage<RecordSessionHeld> {}

@CommandHandler(RecordSessionHeldCommand)
export class RecordSessionHeldHandler extends CourseCommandHandler<RecordSessionHeldCommand> {}
