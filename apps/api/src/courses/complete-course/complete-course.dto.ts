import { ApiProperty } from '@nestjs/swagger';
import { IsInstant } from '../../http/validation';

export class CompleteCourseDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() completedAt!: string;
}
