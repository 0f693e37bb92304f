/**
 * The FHIR R4 export of a course (fhir.md, api.md "Exports"): the course's
 * events, read like the audit history, mapped by the pure @ipt/fhir lib to
 * one Bundle of type `collection` that an EHR can take in as it is.
 */
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { decodeCourseEvent } from '@ipt/course';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import { courseToFhirBundle } from '@ipt/fhir';
import { recordingOf } from '@ipt/projections';
import type { Caller } from '@ipt/auth';
import { CurrentCaller } from '../http/auth.guard';
import { RouteContract, STORE_REFUSALS } from '../http/openapi/contract';
import { readCourseEvents } from '../application/course-events';
import { PhiVault } from '@ipt/privacy';
import { UuidParamPipe } from '../http/validation';

export const FHIR_JSON = 'application/fhir+json';

@ApiTags('exports')
@Controller('v1/courses')
export class CourseFhirController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly vault: PhiVault,
  ) {}

  @Get(':courseId/fhir')
  @RouteContract({
    operationId: 'exportCourseFhir',
    summary: 'The course as one FHIR R4 Bundle (type collection)',
    roles: ['clinician', 'auditor'],
    success: {
      description: 'A FHIR R4 Bundle resource',
      schema: 'FhirBundle',
      contentType: FHIR_JSON,
    },
    refusals: ['validation_failed', 'course_not_found', ...STORE_REFUSALS],
    description:
      'Patient, EpisodeOfCare, an Encounter per held session, an Appointment per missed session, ' +
      'a QuestionnaireResponse per form and an Observation per scored form (LOINC 44261-6 PHQ-9, ' +
      '70274-6 GAD-7, 89209-1 BDI-II; local urn:ipt:instrument HRSD-17-total), a Flag per risk ' +
      'flag and a CarePlan of the homework. Resource ids are UUIDs derived from the course and ' +
      'the event, so a second export gives the same ids. Contains PHI unless the course was erased.',
  })
  @ApiParam({ name: 'courseId', format: 'uuid' })
  async export(
    @Param('courseId', UuidParamPipe) courseId: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const events = await this.vault.open(
      courseId,
      await readCourseEvents(this.store, caller.clinicId, courseId),
    );
    const bundle = courseToFhirBundle({
      courseId,
      clinicId: caller.clinicId,
      phiErased: events.some((e) => e.phiErased),
      events: events.map((e) => ({
        eventId: e.eventId,
        ...recordingOf(e),
        event: decodeCourseEvent(e),
      })),
    });
    void reply.header('content-type', `${FHIR_JSON}; charset=utf-8`);
    return JSON.stringify(bundle);
  }
}
