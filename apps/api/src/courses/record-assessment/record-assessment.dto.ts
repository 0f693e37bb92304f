import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { INSTRUMENTS, TIMEPOINTS, type Instrument, type Timepoint } from '@ipt/course';
import { IsInstant, IsItemScores } from '../../http/validation';

export class RecordAssessmentDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() assessmentId!: string;
  @ApiProperty({ enum: INSTRUMENTS }) @IsIn(INSTRUMENTS) instrument!: Instrument;
  @ApiProperty({ enum: TIMEPOINTS }) @IsIn(TIMEPOINTS) timepoint!: Timepoint;
  @ApiProperty({ format: 'date-time' }) @IsInstant() administeredAt!: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'integer', nullable: true },
    description: 'items[i] is item i+1',
  })
  @IsItemScores()
  items!: (number | null)[];
}
