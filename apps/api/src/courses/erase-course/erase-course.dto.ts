import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { ERASURE_REASONS, TEXT_LENGTHS, type ErasureReason } from '@ipt/course';
import { CommandBody } from '../../http/validation';

/** Shape and types; the reference's length is the domain's (EraseCourse). */
@CommandBody('EraseCourse')
export class EraseCourseDto {
  @ApiProperty({ enum: ERASURE_REASONS }) @IsIn(ERASURE_REASONS) reason!: ErasureReason;

  @ApiPropertyOptional({
    minLength: TEXT_LENGTHS.erasureReference.min,
    maxLength: TEXT_LENGTHS.erasureReference.max,
    description: "The clinic's ticket number for the request; never PHI",
  })
  @IsOptional()
  @IsString()
  reference?: string;
}
