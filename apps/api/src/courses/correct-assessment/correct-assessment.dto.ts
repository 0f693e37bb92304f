import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsItemScores } from '../../http/validation';

export class CorrectAssessmentDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'integer', nullable: true },
    description: 'items[i] is item i+1',
  })
  @IsItemScores()
  items!: (number | null)[];

  @ApiProperty({ minLength: 10, maxLength: 500, description: 'Why the form is corrected (PHI)' })
  @IsString()
  @Length(10, 500)
  reason!: string;
}
