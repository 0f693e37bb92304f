import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { MISSED_SESSION_KINDS, type MissedSessionKind } from '@ipt/course';
import { IsInstant } from '../../http/validation';

export class RecordSessionMissedDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() scheduledAt!: string;
  @ApiProperty({ enum: MISSED_SESSION_KINDS }) @IsIn(MISSED_SESSION_KINDS) kind!: MissedSessionKind;
}
