import { ApiProperty } from '@nestjs/swagger';
import { CommandBody, IsInstant } from '../../http/validation';

/** Shape and types; time rules are the domain's (CompleteCourse). */
@CommandBody('CompleteCourse')
export class CompleteCourseDto {
  @ApiProperty({ format: 'date-time' }) @IsInstant() completedAt!: string;
}
