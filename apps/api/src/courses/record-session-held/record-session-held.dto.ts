import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt } from 'class-validator';
import {
  MAX_SESSION_MINUTES,
  MAX_SESSION_NUMBER,
  MIN_SESSION_MINUTES,
  MODALITIES,
  type Modality,
} from '@ipt/course';
import { CommandBody, IsInstant } from '../../http/validation';

/** Shape and types; ranges and time rules are the domain's (RecordSessionHeld). */
@CommandBody('RecordSessionHeld')
export class RecordSessionHeldDto {
  @ApiProperty({ minimum: 1, maximum: MAX_SESSION_NUMBER }) @IsInt() sessionNumber!: number;
  @ApiProperty({ format: 'date-time' }) @IsInstant() heldAt!: string;

  @ApiProperty({ minimum: MIN_SESSION_MINUTES, maximum: MAX_SESSION_MINUTES })
  @IsInt()
  durationMinutes!: number;

  @ApiProperty({ enum: MODALITIES }) @IsIn(MODALITIES) modality!: Modality;
}
