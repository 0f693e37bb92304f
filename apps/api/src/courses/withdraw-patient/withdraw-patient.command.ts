import { CommandHandler } from '@nestjs/cqrs';
import type { WithdrawPatient } from '@ipt/course';
import { CourseCommandHandler, CourseCommandMessage } from '../course-command';

export class WithdrawPatientCommand extends CourseCommandMessage<WithdrawPatient> {}

@CommandHandler(WithdrawPatientCommand)
export class WithdrawPatientHandler extends CourseCommandHandler<WithdrawPatientCommand> {}
