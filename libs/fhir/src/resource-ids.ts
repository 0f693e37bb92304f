/**
 * Resource ids derived from the course and the event (name-based UUID v5),
 * so a second export of the same course gives the same ids and a FHIR server
 * updates rather than duplicates. Nothing patient-identifying goes into a
 * name: only the course id, the resource type and a stored event id.
 */
import { v5 as uuidv5 } from 'uuid';

/** The namespace of every id this ledger derives for FHIR (a fixed random UUID). */
export const FHIR_ID_NAMESPACE = '6d1f0b52-6a3e-4c43-9f0e-2b7d8c9a4e11';

/** Resources a course has once (the patient, the episode, the homework plan, the bundle). */
export type CourseLevelResource = 'Patient' | 'EpisodeOfCare' | 'CarePlan' | 'Bundle';

/** Resources that come from one event. */
export type EventLevelResource =
  'Encounter' | 'Appointment' | 'QuestionnaireResponse' | 'Observation' | 'Flag';

export const courseResourceId = (courseId: string, type: CourseLevelResource): string =>
  uuidv5(`course/${courseId}/${type}`, FHIR_ID_NAMESPACE);

export const eventResourceId = (
  courseId: string,
  type: EventLevelResource,
  eventId: string,
): string => uuidv5(`course/${courseId}/${type}/${eventId}`, FHIR_ID_NAMESPACE);

/** The reference a bundle entry is known by inside a collection: its fullUrl. */
export const urnOf = (id: string): string => `urn:uuid:${id}`;
