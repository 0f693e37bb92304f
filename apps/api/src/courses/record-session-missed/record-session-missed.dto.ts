import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { MISSED_SESSION_KINDS, type MissedSessionKind } from '@ipt/course';
import { CommandBody, IsInstant } from '../../http/validation';

/** Shape and types; time rules are the domain's (RecordSessionMissed). */
@CommandBody('RecordSessionMissed')
export class RecordSessionMissedDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() scheduledAt!: string;
  @ApiProperty({ enum: MISSED_SESSION_KINDS }) @IsIn(MISSED_SESSION_KINDS) kind!: MissedSessionKind;
}
