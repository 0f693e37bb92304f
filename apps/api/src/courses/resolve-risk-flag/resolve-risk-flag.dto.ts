import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { RISK_DISPOSITIONS, TEXT_LENGTHS, type RiskDisposition } from '@ipt/course';
import { CommandBody } from '../../http/validation';

/** Shape and types; the note's length is the domain's (ResolveRiskFlag). */
@CommandBody('ResolveRiskFlag')
export class ResolveRiskFlagDto {
  @ApiProperty({ enum: RISK_DISPOSITIONS }) @IsIn(RISK_DISPOSITIONS) disposition!: RiskDisposition;

  @ApiPropertyOptional({
    maxLength: TEXT_LENGTHS.resolutionNote.max,
    description: 'Resolution note (PHI)',
  })
  @IsOptional()
  @IsString()
  note?: string;
}
