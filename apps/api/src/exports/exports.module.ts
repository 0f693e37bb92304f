/** What a course hands to other systems: the FHIR R4 export. */
import { Module } from '@nestjs/common';
import { CourseFhirController } from './course-fhir.controller';

@Module({ controllers: [CourseFhirController] })
export class ExportsModule {}
