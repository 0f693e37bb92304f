import { ApiProperty } from '@nestjs/swagger';
import { IsInstant } from '../../http/validation';

export class SubmitHomeworkDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() submittedAt!: string;
}
