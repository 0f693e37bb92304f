import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsInstant } from '../../http/validation';

export class ScreeningDto {
  @ApiProperty() @IsDefined() @IsBoolean() psychosis!: boolean;
  @ApiProperty() @IsDefined() @IsBoolean() bipolarDisorder!: boolean;
  @ApiProperty() @IsDefined() @IsBoolean() primarySubstanceUse!: boolean;
  @ApiProperty() @IsDefined() @IsBoolean() acuteSuicideRisk!: boolean;
}

export class ScreenOverrideDto {
  @ApiProperty({
    minLength: 10,
    maxLength: 500,
    description: 'Why the positive screen is overridden (PHI)',
  })
  @IsString()
  @Length(10, 500)
  reason!: string;
}

export class EnrollPatientDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() courseId!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 64,
    description: "The clinic's identifier for the patient (PHI)",
  })
  @IsString()
  @Length(1, 64)
  patientRef!: string;

  @ApiProperty({ minLength: 1, maxLength: 64 }) @IsString() @Length(1, 64) therapistId!: string;

  @ApiPropertyOptional({ minimum: 12, maximum: 16, default: 16 })
  @IsOptional()
  @IsInt()
  @Min(12)
  @Max(16)
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
