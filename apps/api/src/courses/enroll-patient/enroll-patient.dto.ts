import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  ValidateNested,
} from 'class-validator';
import {
  DEFAULT_PLANNED_SESSIONS,
  MAX_PLANNED_SESSIONS,
  MIN_PLANNED_SESSIONS,
  TEXT_LENGTHS,
} from '@ipt/course';
import { CommandBody, IsInstant } from '../../http/validation';

export class ScreeningDto {
  @ApiProperty() @IsDefined() @IsBoolean() psychosis!: boolean;
  @ApiProperty() @IsDefined() @IsBoolean() bipolarDisorder!: boolean;
  @ApiProperty() @IsDefined() @IsBoolean() primarySubstanceUse!: boolean;
  @ApiProperty() @IsDefined() @IsBoolean() acuteSuicideRisk!: boolean;
}

export class ScreenOverrideDto {
  @ApiProperty({
    minLength: TEXT_LENGTHS.overrideReason.min,
    maxLength: TEXT_LENGTHS.overrideReason.max,
    description: 'Why the positive screen is overridden (PHI)',
  })
  @IsString()
  reason!: string;
}

/** Shape and types; lengths, rule 3 and time rules are the domain's (EnrollPatient). */
@CommandBody('EnrollPatient')
export class EnrollPatientDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() courseId!: string;

  @ApiProperty({
    minLength: TEXT_LENGTHS.patientRef.min,
    maxLength: TEXT_LENGTHS.patientRef.max,
    description: "The clinic's identifier for the patient (PHI)",
  })
  @IsString()
  patientRef!: string;

  @ApiProperty({ minLength: TEXT_LENGTHS.therapistId.min, maxLength: TEXT_LENGTHS.therapistId.max })
  @IsString()
  therapistId!: string;

  @ApiPropertyOptional({
    minimum: MIN_PLANNED_SESSIONS,
    maximum: MAX_PLANNED_SESSIONS,
    default: DEFAULT_PLANNED_SESSIONS,
  })
  @IsOptional()
  @IsInt()
  plannedSessions?: number;

  @ApiProperty({ format: 'date-time' }) @IsInstant() enrolledAt!: string;

  @ApiProperty({ type: ScreeningDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => ScreeningDto)
  screening!: ScreeningDto;

  @ApiPropertyOptional({ type: ScreenOverrideDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ScreenOverrideDto)
  override?: ScreenOverrideDto;
}
