import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString } from 'class-validator';
import { MAX_SESSION_NUMBER, TEXT_LENGTHS } from '@ipt/course';
import { CommandBody, IsInstant } from '../../http/validation';

/** Shape and types; lengths and ranges are the domain's (AssignHomework). */
@CommandBody('AssignHomework')
export class AssignHomeworkDto {
  @ApiProperty({ minLength: TEXT_LENGTHS.homeworkId.min, maxLength: TEXT_LENGTHS.homeworkId.max })
  @IsString()
  homeworkId!: string;

  @ApiProperty({ minimum: 1, maximum: MAX_SESSION_NUMBER }) @IsInt() sessionNumber!: number;
  @ApiProperty({ format: 'date-time' }) @IsInstant() dueAt!: string;

  @ApiProperty({
    minLength: TEXT_LENGTHS.homeworkDescription.min,
    maxLength: TEXT_LENGTHS.homeworkDescription.max,
    description: 'What the patient is asked to do (PHI)',
  })
  @IsString()
  description!: string;
}
