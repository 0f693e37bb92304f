import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { WITHDRAWAL_REASONS, type WithdrawalReason } from '@ipt/course';
import { IsInstant } from '../../http/validation';

export class WithdrawPatientDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() withdrawnAt!: string;
  @ApiProperty({ enum: WITHDRAWAL_REASONS }) @IsIn(WITHDRAWAL_REASONS) reason!: WithdrawalReason;
}
