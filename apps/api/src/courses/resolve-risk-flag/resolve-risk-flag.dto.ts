import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { RISK_DISPOSITIONS, type RiskDisposition } from '@ipt/course';

export class ResolveRiskFlagDto {
  @ApiProperty({ enum: RISK_DISPOSITIONS }) @IsIn(RISK_DISPOSITIONS) disposition!: RiskDisposition;

  @ApiPropertyOptional({ maxLength: 2000, description: 'Resolution note (PHI)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}
