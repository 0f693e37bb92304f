import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { WITHDRAWAL_REASONS, type WithdrawalReason } from '@ipt/course';
import { CommandBody, IsInstant } from '../../http/validation';

/** Shape and types; time rules are the domain's (WithdrawPatient). */
@CommandBody('WithdrawPatient')
export class WithdrawPatientDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() withdrawnAt!: string;
  @ApiProperty({ enum: WITHDRAWAL_REASONS }) @IsIn(WITHDRAWAL_REASONS) reason!: WithdrawalReason;
}
