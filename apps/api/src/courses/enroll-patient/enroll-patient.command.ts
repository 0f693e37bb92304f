import { CommandHandler } from '@nestjs/cqrs';
import type { EnrollPatient } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class EnrollPatientCommand extends CourseCommandMessage<EnrollPatient> {}

@CommandHandler(EnrollPatientCommand)
export class EnrollPatientHandler extends CourseCommandHandler<EnrollPatientCommand> {}
