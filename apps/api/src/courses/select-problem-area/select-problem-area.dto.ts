import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { PROBLEM_AREAS, TEXT_LENGTHS, type ProblemArea } from '@ipt/course';
import { CommandBody } from '../../http/validation';

/** Shape and types; the reason's length is the domain's (SelectProblemArea). */
@CommandBody('SelectProblemArea')
export class SelectProblemAreaDto {
  @ApiProperty({ enum: PROBLEM_AREAS }) @IsIn(PROBLEM_AREAS) area!: ProblemArea;

  @ApiPropertyOptional({
    maxLength: TEXT_LENGTHS.problemAreaReason.max,
    description: 'Why the area changes (PHI)',
  })
  @IsOptional()
  @IsString()
  reason?: string;
}
