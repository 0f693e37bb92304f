import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { MODALITIES, type Modality } from '@ipt/course';
import { IsInstant } from '../../http/validation';

export class RecordSessionHeldDto {
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(1000) sessionNumber!: number;
  @ApiProperty({ format: 'date-time' }) @IsInstant() heldAt!: string;
  @ApiProperty({ minimum: 1, maximum: 240 }) @IsInt() @Min(1) @Max(240) durationMinutes!: number;
  @ApiProperty({ enum: MODALITIES }) @IsIn(MODALITIES) modality!: Modality;
}
