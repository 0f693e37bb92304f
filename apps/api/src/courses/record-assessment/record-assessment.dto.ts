import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import {
  INSTRUMENTS,
  MAX_ITEM_COUNT,
  TIMEPOINTS,
  type Instrument,
  type Timepoint,
} from '@ipt/course';
import { CommandBody, IsInstant, IsItemScores } from '../../http/validation';

/** Shape and types; item count and ranges (rule 9) and time rules are the domain's. */
@CommandBody('RecordAssessment')
export class RecordAssessmentDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() assessmentId!: string;
  @ApiProperty({ enum: INSTRUMENTS }) @IsIn(INSTRUMENTS) instrument!: Instrument;
  @ApiProperty({ enum: TIMEPOINTS }) @IsIn(TIMEPOINTS) timepoint!: Timepoint;
  @ApiProperty({ format: 'date-time' }) @IsInstant() administeredAt!: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'integer', nullable: true },
    maxItems: MAX_ITEM_COUNT,
    description: 'items[i] is item i+1',
  })
  @IsItemScores()
  items!: (number | null)[];
}
