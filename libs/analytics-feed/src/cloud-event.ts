/**
 * Domain event → de-identified CloudEvent (analytics-feed.md). Pure: no I/O,
 * no clock. What leaves the service is built field by field from coded
 * values, never by copying `data` and deleting what is known to be sensitive,
 * so a field added to an event later stays inside until someone maps it here.
 */
import type { CourseEvent, CourseEventType, EventMetadata } from '@ipt/course';

const DAY_MS = 86_400_000;

export const CLOUD_EVENT_CONTENT_TYPE = 'application/cloudevents+json';

/**
 * Where `dataschema` points by default: the API's default address, which
 * serves the AsyncAPI document. Deployments pass their public URL.
 */
export const DEFAULT_ASYNCAPI_URL = 'http://127.0.0.1:3000/asyncapi.json';

/** A CloudEvents 1.0 event in structured mode; no `time` (it would date a patient's care). */
export interface CourseCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  /** The stream revision, as the CloudEvents sequence extension wants it: a string. */
  sequence: string;
  datacontenttype: 'application/json';
  dataschema: string;
  /** W3C trace context of the relay's produce span (distributed-tracing extension), when tracing. */
  traceparent?: string;
  tracestate?: string;
  data: Record<string, unknown>;
}

/**
 * What mapping a course's later events needs from its earlier ones: the
 * pseudonym and the enrollment instant (times become days since it), and the
 * order in which its homework was assigned.
 */
export interface CourseFacts {
  courseId: string;
  subjectId: string;
  enrolledAtMs: number;
  /** homeworkId → 1-based ordinal of its assignment within the course. */
  homeworkNumbers: ReadonlyMap<string, number>;
}

/** The course facts after `event`; undefined until the course's enrollment. */
export function evolveCourseFacts(
  facts: CourseFacts | undefined,
  event: CourseEvent,
): CourseFacts | undefined {
  if (event.type === 'PatientEnrolled') {
    return {
      courseId: event.data.courseId,
      subjectId: event.data.subjectId,
      enrolledAtMs: Date.parse(event.data.enrolledAt),
      homeworkNumbers: new Map(),
    };
  }
  if (
    event.type === 'HomeworkAssigned' &&
    facts &&
    !facts.homeworkNumbers.has(event.data.homeworkId)
  ) {
    const homeworkNumbers = new Map(facts.homeworkNumbers);
    homeworkNumbers.set(event.data.homeworkId, homeworkNumbers.size + 1);
    return { ...facts, homeworkNumbers };
  }
  return facts;
}

/** `SessionHeld` → `session-held`. */
export const kebabCase = (name: string): string =>
  name.replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase());

const cloudEventTypes = new Map<CourseEventType, string>();

/** Remembered per type: the relay asks once per event. */
export function cloudEventType(eventType: CourseEventType): string {
  let type = cloudEventTypes.get(eventType);
  if (type === undefined) {
    type = `org.ipt.course.${kebabCase(eventType)}.v1`;
    cloudEventTypes.set(eventType, type);
  }
  return type;
}

/** Name of the JSON Schema of an event type's `data` in the AsyncAPI document. */
export const dataSchemaName = (eventType: CourseEventType): string => `${eventType}Data`;

export const dataSchemaUrl = (
  eventType: CourseEventType,
  asyncApiUrl = DEFAULT_ASYNCAPI_URL,
): string => `${asyncApiUrl}#/components/schemas/${dataSchemaName(eventType)}`;

export class UnmappableEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnmappableEventError';
  }
}

export interface RecordedCourseEvent {
  eventId: string;
  revision: number;
  event: CourseEvent;
  metadata: Pick<EventMetadata, 'clinicId'>;
}

/**
 * Maps one recorded course event. `factsBefore` are the course facts folded
 * over the events before it (undefined for the enrollment itself).
 */
export function toCloudEvent(
  recorded: RecordedCourseEvent,
  factsBefore: CourseFacts | undefined,
  asyncApiUrl = DEFAULT_ASYNCAPI_URL,
): CourseCloudEvent {
  const { event } = recorded;
  const facts =
    event.type === 'PatientEnrolled' ? evolveCourseFacts(undefined, event) : factsBefore;
  if (!facts)
    throw new UnmappableEventError(
      `${event.type} at revision ${recorded.revision} of course ${event.data.courseId} precedes its enrollment`,
    );
  return {
    specversion: '1.0',
    id: recorded.eventId,
    source: `/clinics/${recorded.metadata.clinicId}`,
    type: cloudEventType(event.type),
    subject: event.data.courseId,
    sequence: String(recorded.revision),
    datacontenttype: 'application/json',
    dataschema: dataSchemaUrl(event.type, asyncApiUrl),
    data: deidentifiedData(event, facts),
  };
}

/** Whole days from enrollment to `iso`; negative before it (a baseline may precede enrollment). */
export function dayOf(facts: Pick<CourseFacts, 'enrolledAtMs'>, iso: string): number {
  return Math.floor((Date.parse(iso) - facts.enrolledAtMs) / DAY_MS);
}

function homeworkNumber(facts: CourseFacts, homeworkId: string): number {
  const n = facts.homeworkNumbers.get(homeworkId);
  if (n === undefined)
    throw new UnmappableEventError(`homework of course ${facts.courseId} was never assigned`);
  return n;
}

/** Only pseudonyms, days since enrollment and coded values: never phi, free text or a date. */
function deidentifiedData(event: CourseEvent, facts: CourseFacts): Record<string, unknown> {
  const subjectId = facts.subjectId;
  switch (event.type) {
    case 'PatientEnrolled': {
      const d = event.data;
      return {
        subjectId,
        therapistId: d.therapistId,
        enrolledYear: new Date(facts.enrolledAtMs).getUTCFullYear(),
        plannedSessions: d.plannedSessions,
        screening: {
          psychosis: d.screening.psychosis,
          bipolarDisorder: d.screening.bipolarDisorder,
          primarySubstanceUse: d.screening.primarySubstanceUse,
          acuteSuicideRisk: d.screening.acuteSuicideRisk,
        },
        positiveCriteria: [...d.positiveCriteria],
        screenOverridden: d.screenOverridden,
      };
    }
    case 'ProblemAreaSelected':
      return { subjectId, area: event.data.area, previousArea: event.data.previousArea };
    case 'SessionHeld': {
      const d = event.data;
      return {
        subjectId,
        sessionNumber: d.sessionNumber,
        day: dayOf(facts, d.heldAt),
        durationMinutes: d.durationMinutes,
        modality: d.modality,
      };
    }
    case 'SessionMissed':
      return { subjectId, day: dayOf(facts, event.data.scheduledAt), kind: event.data.kind };
    case 'HomeworkAssigned': {
      // homeworkId is clinic-chosen free text: send the assignment's ordinal instead.
      const d = event.data;
      const number = facts.homeworkNumbers.get(d.homeworkId) ?? facts.homeworkNumbers.size + 1;
      return {
        subjectId,
        homeworkNumber: number,
        sessionNumber: d.sessionNumber,
        dueDay: dayOf(facts, d.dueAt),
      };
    }
    case 'HomeworkSubmitted':
      return {
        subjectId,
        homeworkNumber: homeworkNumber(facts, event.data.homeworkId),
        day: dayOf(facts, event.data.submittedAt),
      };
    case 'AssessmentRecorded': {
      const d = event.data;
      return {
        subjectId,
        assessmentId: d.assessmentId,
        instrument: d.instrument,
        timepoint: d.timepoint,
        day: dayOf(facts, d.administeredAt),
        items: [...d.items],
        total: d.total,
        severity: d.severity,
        scoringScheme: d.scoringScheme,
      };
    }
    case 'RiskFlagRaised': {
      const d = event.data;
      return {
        subjectId,
        flagId: d.flagId,
        assessmentId: d.assessmentId,
        instrument: d.instrument,
        item: d.item,
        score: d.score,
        day: dayOf(facts, d.raisedAt),
      };
    }
    case 'RiskFlagResolved':
      return {
        subjectId,
        flagId: event.data.flagId,
        disposition: event.data.disposition,
        day: dayOf(facts, event.data.resolvedAt),
      };
    case 'PatientWithdrawn':
      return { subjectId, day: dayOf(facts, event.data.withdrawnAt), reason: event.data.reason };
    case 'CourseCompleted':
      return { subjectId, day: dayOf(facts, event.data.completedAt) };
    case 'AssessmentCorrected': {
      const d = event.data;
      return {
        subjectId,
        assessmentId: d.assessmentId,
        items: [...d.items],
        total: d.total,
        severity: d.severity,
        scoringScheme: d.scoringScheme,
      };
    }
    case 'PersonalDataErased':
      // analytics-feed.md: consumers holding the pseudonym may drop it. No reference: it is the clinic's.
      return { subjectId, day: dayOf(facts, event.data.erasedAt), reason: event.data.reason };
    default: {
      const unknown: never = event;
      throw new UnmappableEventError(
        `no analytics mapping for event type ${(unknown as { type: string }).type}`,
      );
    }
  }
}
