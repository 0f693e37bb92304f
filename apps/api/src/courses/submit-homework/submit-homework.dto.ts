import { ApiProperty } from '@nestjs/swagger';
import { CommandBody, IsInstant } from '../../http/validation';

/** Shape and types; time rules are the domain's (SubmitHomework). */
@CommandBody('SubmitHomework')
export class SubmitHomeworkDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() submittedAt!: string;
}
