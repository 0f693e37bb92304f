import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { PROBLEM_AREAS, type ProblemArea } from '@ipt/course';

export class SelectProblemAreaDto {
  @ApiProperty({ enum: PROBLEM_AREAS }) @IsIn(PROBLEM_AREAS) area!: ProblemArea;

  @ApiPropertyOptional({ minLength: 1, maxLength: 500, description: 'Why the area changes (PHI)' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}
