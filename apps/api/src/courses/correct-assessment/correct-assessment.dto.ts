import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MAX_ITEM_COUNT, TEXT_LENGTHS } from '@ipt/course';
import { CommandBody, IsItemScores } from '../../http/validation';

/** Shape and types; the reason's length and the items' count and ranges are the domain's. */
@CommandBody('CorrectAssessment')
export class CorrectAssessmentDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'integer', nullable: true },
    maxItems: MAX_ITEM_COUNT,
    description: 'items[i] is item i+1',
  })
  @IsItemScores()
  items!: (number | null)[];

  @ApiProperty({
    minLength: TEXT_LENGTHS.correctionReason.min,
    maxLength: TEXT_LENGTHS.correctionReason.max,
    description: 'Why the form is corrected (PHI)',
  })
  @IsString()
  reason!: string;
}
