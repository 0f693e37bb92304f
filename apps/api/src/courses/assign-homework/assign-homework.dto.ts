import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { IsInstant } from '../../http/validation';

export class AssignHomeworkDto {
  @ApiProperty({ minLength: 1, maxLength: 64 }) @IsString() @Length(1, 64) homeworkId!: string;
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(1000) sessionNumber!: number;
  @ApiProperty({ format: 'date-time' }) @IsInstant() dueAt!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 2000,
    description: 'What the patient is asked to do (PHI)',
  })
  @IsString()
  @Length(1, 2000)
  description!: string;
}
