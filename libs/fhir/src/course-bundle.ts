/**
 * A course as one FHIR R4 Bundle of type `collection` (fhir.md): a pure
 * mapping of the course's recorded events. Ids are derived from the course
 * and the event (resource-ids.ts), so a re-export gives the same ids.
 *
 * Corrections and risk flags read exactly as the outcomes view reads them
 * (the same fold, `evolveOutcomes`). Once a course's PHI is erased the
 * bundle carries no identifier and no free text of the clinic's.
 */
import type {
  Appointment,
  Bundle,
  BundleEntry,
  CarePlan,
  CarePlanActivity,
  Encounter,
  EpisodeOfCare,
  Flag,
  Observation,
  Patient,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import {
  MINUTE_MS,
  parseInstant,
  toIsoInstant,
  type CourseEvent,
  type CourseStatus,
  type HomeworkAssigned,
  type PatientEnrolled,
  type ProblemArea,
  type SessionHeld,
  type SessionMissed,
} from '@ipt/course';
import {
  evolveOutcomes,
  type CourseOutcomesState,
  type OutcomeAssessment,
  type RiskFlagView,
} from '@ipt/projections/views';
import {
  CANCELLATION_REASON,
  ENCOUNTER_CLASS,
  FLAG_DETAIL_EXTENSION,
  RISK_ITEM_CODES,
  SAFETY_FLAG_CATEGORY,
  SURVEY_CATEGORY,
  TOTAL_SCORE_CODES,
  UCUM,
  patientIdentifierSystem,
  questionnaireCanonical,
  sessionIdentifierSystem,
} from './codes';
import { courseResourceId, eventResourceId, urnOf } from './resource-ids';

/** The event that closes a course's PHI (privacy.md); its data is not read. */
export interface PersonalDataErasedEvent {
  type: 'PersonalDataErased';
  data: unknown;
}

/** One stored event of the course, as the export reads it. */
export interface RecordedCourseFact {
  eventId: string;
  /** 0-based stream revision. */
  revision: number;
  /** Server clock (UTC ISO) when the event was recorded. */
  recordedAt: string;
  event: CourseEvent | PersonalDataErasedEvent;
}

export interface CourseExportInput {
  courseId: string;
  clinicId: string;
  /** Every event of the course stream, in stream order, starting with PatientEnrolled. */
  events: readonly RecordedCourseFact[];
  /**
   * True when the course's PHI is erased. The export also treats a course as
   * erased when it holds a PersonalDataErased event or its enrollment carries
   * no `phi`.
   */
  phiErased?: boolean;
}

/** Length assumed for a missed session, which records only when it was due [D]. */
export const MISSED_SESSION_MINUTES = 50;

const EPISODE_TYPE_TEXT = 'Interpersonal psychotherapy';
const HOMEWORK_PLAN_TITLE = 'Interpersonal psychotherapy homework';

const PROBLEM_AREA_LABELS: Record<ProblemArea, string> = {
  grief: 'grief',
  role_dispute: 'role dispute',
  role_transition: 'role transition',
  interpersonal_deficits: 'interpersonal deficits',
};

const EPISODE_STATUS: Record<CourseStatus, EpisodeOfCare['status']> = {
  active: 'active',
  completed: 'finished',
  withdrawn: 'cancelled',
};

/** A withdrawn course's plan ended before completion: `revoked`. */
const CARE_PLAN_STATUS: Record<CourseStatus, CarePlan['status']> = {
  active: 'active',
  completed: 'completed',
  withdrawn: 'revoked',
};

interface HomeworkTrack {
  assigned: HomeworkAssigned['data'];
  submittedAt: string | null;
}

/** What the export needs from the stream, gathered in one pass. */
interface CourseFacts {
  enrollment: PatientEnrolled['data'];
  erased: boolean;
  status: CourseStatus;
  endedAt: string | null;
  problemArea: ProblemArea | null;
  sessions: { eventId: string; data: SessionHeld['data'] }[];
  missed: { eventId: string; data: SessionMissed['data'] }[];
  homework: HomeworkTrack[];
  outcomes: CourseOutcomesState;
  /** assessmentId → id of the AssessmentRecorded event. */
  assessmentEventIds: Map<string, string>;
  /** assessmentId → when its current items were recorded (the form or its latest correction). */
  assessmentIssuedAt: Map<string, string>;
  /** flagId → id of the RiskFlagRaised event. */
  flagEventIds: Map<string, string>;
  lastRevision: number;
  lastRecordedAt: string;
}

/** `phi` of an event's data, or undefined once erased (an erased event may carry `phi: null`). */
function phiOf<T>(data: { phi?: T | null }, erased: boolean): T | undefined {
  return erased ? undefined : (data.phi ?? undefined);
}

function gatherFacts(input: CourseExportInput): CourseFacts {
  const first = input.events[0];
  if (!first || first.event.type !== 'PatientEnrolled')
    throw new Error('a course stream starts with PatientEnrolled');
  const enrollment = first.event.data;
  const erased =
    input.phiErased === true ||
    (enrollment as { phi?: unknown }).phi == null ||
    input.events.some((f) => f.event.type === 'PersonalDataErased');

  // The outcomes fold is added at the end; everything else is gathered here.
  const facts: Omit<CourseFacts, 'outcomes'> = {
    enrollment,
    erased,
    status: 'active',
    endedAt: null,
    problemArea: null,
    sessions: [],
    missed: [],
    homework: [],
    assessmentEventIds: new Map(),
    assessmentIssuedAt: new Map(),
    flagEventIds: new Map(),
    lastRevision: first.revision,
    lastRecordedAt: first.recordedAt,
  };
  let outcomes: CourseOutcomesState | null = null;
  for (const fact of input.events) {
    facts.lastRevision = fact.revision;
    facts.lastRecordedAt = fact.recordedAt;
    const event = fact.event;
    if (event.type === 'PersonalDataErased') continue;
    outcomes = evolveOutcomes(outcomes, event, fact);
    switch (event.type) {
      case 'ProblemAreaSelected':
        facts.problemArea = event.data.area;
        break;
      case 'SessionHeld':
        facts.sessions.push({ eventId: fact.eventId, data: event.data });
        break;
      case 'SessionMissed':
        facts.missed.push({ eventId: fact.eventId, data: event.data });
        break;
      case 'HomeworkAssigned':
        facts.homework.push({ assigned: event.data, submittedAt: null });
        break;
      case 'HomeworkSubmitted': {
        const track = facts.homework.find((h) => h.assigned.homeworkId === event.data.homeworkId);
        if (track) track.submittedAt = event.data.submittedAt;
        break;
      }
      case 'AssessmentRecorded':
        facts.assessmentEventIds.set(event.data.assessmentId, fact.eventId);
        facts.assessmentIssuedAt.set(event.data.assessmentId, fact.recordedAt);
        break;
      case 'AssessmentCorrected':
        facts.assessmentIssuedAt.set(event.data.assessmentId, fact.recordedAt);
        break;
      case 'RiskFlagRaised':
        facts.flagEventIds.set(event.data.flagId, fact.eventId);
        break;
      case 'CourseCompleted':
        facts.status = 'completed';
        facts.endedAt = event.data.completedAt;
        break;
      case 'PatientWithdrawn':
        facts.status = 'withdrawn';
        facts.endedAt = event.data.withdrawnAt;
        break;
      case 'PatientEnrolled':
      case 'RiskFlagResolved':
        // Enrollment is read from the first event, resolutions from the outcomes fold.
        break;
      default: {
        const unhandled: never = event;
        void unhandled;
      }
    }
  }
  // The first event is PatientEnrolled, so the fold has started.
  return { ...facts, outcomes: outcomes! };
}

const plusMinutes = (instant: string, minutes: number): string =>
  toIsoInstant((parseInstant(instant) ?? 0) + minutes * MINUTE_MS);

const ref = <T extends Resource = Resource>(id: string): Reference<T> => ({ reference: urnOf(id) });

/** The course's events as one R4 Bundle of type `collection`. */
export function courseToFhirBundle(input: CourseExportInput): Bundle {
  const facts = gatherFacts(input);
  const { courseId } = input;
  const { erased } = facts;
  const ids = {
    patient: courseResourceId(courseId, 'Patient'),
    episode: courseResourceId(courseId, 'EpisodeOfCare'),
    carePlan: courseResourceId(courseId, 'CarePlan'),
  };
  const patient = ref<Patient>(ids.patient);
  const episode = ref<EpisodeOfCare>(ids.episode);
  const ended = facts.endedAt ? { end: facts.endedAt } : {};

  const resources: Resource[] = [];

  const patientRef = phiOf(facts.enrollment, erased)?.patientRef;
  resources.push({
    resourceType: 'Patient',
    id: ids.patient,
    ...(patientRef === undefined
      ? {}
      : { identifier: [{ system: patientIdentifierSystem(input.clinicId), value: patientRef }] }),
  } satisfies Patient);

  resources.push({
    resourceType: 'EpisodeOfCare',
    id: ids.episode,
    status: EPISODE_STATUS[facts.status],
    type: [{ text: EPISODE_TYPE_TEXT }],
    ...(facts.problemArea
      ? {
          diagnosis: [
            {
              condition: {
                display: `IPT problem area: ${PROBLEM_AREA_LABELS[facts.problemArea]}`,
              },
            },
          ],
        }
      : {}),
    patient,
    period: { start: facts.enrollment.enrolledAt, ...ended },
  } satisfies EpisodeOfCare);

  for (const { eventId, data } of facts.sessions) {
    resources.push({
      resourceType: 'Encounter',
      id: eventResourceId(courseId, 'Encounter', eventId),
      ...(erased
        ? {}
        : {
            identifier: [
              { system: sessionIdentifierSystem(courseId), value: String(data.sessionNumber) },
            ],
          }),
      status: 'finished',
      class: ENCOUNTER_CLASS[data.modality],
      subject: patient,
      episodeOfCare: [episode],
      period: { start: data.heldAt, end: plusMinutes(data.heldAt, data.durationMinutes) },
      length: { value: data.durationMinutes, unit: 'min', system: UCUM, code: 'min' },
    } satisfies Encounter);
  }

  for (const { eventId, data } of facts.missed) {
    resources.push({
      resourceType: 'Appointment',
      id: eventResourceId(courseId, 'Appointment', eventId),
      status: data.kind === 'did_not_attend' ? 'noshow' : 'cancelled',
      ...(data.kind === 'did_not_attend'
        ? {}
        : {
            cancelationReason: {
              coding: [CANCELLATION_REASON[data.kind]],
              text:
                data.kind === 'cancelled_by_patient'
                  ? 'cancelled by patient'
                  : 'cancelled by clinic',
            },
          }),
      start: data.scheduledAt,
      end: plusMinutes(data.scheduledAt, MISSED_SESSION_MINUTES),
      minutesDuration: MISSED_SESSION_MINUTES,
      supportingInformation: [episode],
      participant: [
        {
          actor: patient,
          // The patient had agreed to the slot unless they called it off themselves.
          status: data.kind === 'cancelled_by_patient' ? 'declined' : 'accepted',
        },
      ],
    } satisfies Appointment);
  }

  for (const assessment of facts.outcomes.assessments) {
    const eventId = facts.assessmentEventIds.get(assessment.assessmentId)!;
    resources.push(
      ...assessmentResources(assessment, {
        courseId,
        eventId,
        issued: facts.assessmentIssuedAt.get(assessment.assessmentId)!,
        patient,
        erased,
      }),
    );
  }

  for (const flag of facts.outcomes.riskFlags) {
    const assessmentEventId = facts.assessmentEventIds.get(flag.assessmentId);
    resources.push(
      flagResource(flag, {
        id: eventResourceId(courseId, 'Flag', facts.flagEventIds.get(flag.flagId)!),
        courseId,
        patient,
        detail:
          assessmentEventId === undefined
            ? undefined
            : ref(eventResourceId(courseId, 'QuestionnaireResponse', assessmentEventId)),
        erased,
      }),
    );
  }

  if (facts.homework.length > 0) {
    resources.push({
      resourceType: 'CarePlan',
      id: ids.carePlan,
      status: CARE_PLAN_STATUS[facts.status],
      intent: 'plan',
      title: HOMEWORK_PLAN_TITLE,
      subject: patient,
      period: { start: facts.enrollment.enrolledAt, ...ended },
      supportingInfo: [episode],
      activity: facts.homework.map((h) => homeworkActivity(h, facts.status, erased)),
    } satisfies CarePlan);
  }

  return {
    resourceType: 'Bundle',
    id: courseResourceId(courseId, 'Bundle'),
    // The stream revision the bundle reflects: a later export of a changed course has a higher one.
    meta: { versionId: String(facts.lastRevision), lastUpdated: facts.lastRecordedAt },
    type: 'collection',
    timestamp: facts.lastRecordedAt,
    entry: resources.map((resource): BundleEntry => ({ fullUrl: urnOf(resource.id!), resource })),
  };
}

function assessmentResources(
  a: OutcomeAssessment,
  ctx: {
    courseId: string;
    eventId: string;
    issued: string;
    patient: Reference<Patient>;
    erased: boolean;
  },
): Resource[] {
  const corrected = a.correctedAtRevision !== null;
  const responseId = eventResourceId(ctx.courseId, 'QuestionnaireResponse', ctx.eventId);
  // A null item is an unanswered question: no item, no answer (no prorating either).
  const items: QuestionnaireResponseItem[] = a.items.flatMap((value, i) =>
    value === null ? [] : [{ linkId: String(i + 1), answer: [{ valueInteger: value }] }],
  );
  const response: QuestionnaireResponse = {
    resourceType: 'QuestionnaireResponse',
    id: responseId,
    ...(ctx.erased
      ? {}
      : {
          identifier: {
            system: `urn:ipt:course:${ctx.courseId}:assessment`,
            value: a.assessmentId,
          },
        }),
    questionnaire: questionnaireCanonical(a.instrument),
    status: corrected ? 'amended' : 'completed',
    subject: ctx.patient,
    authored: a.administeredAt,
    ...(items.length > 0 ? { item: items } : {}),
  };
  if (a.total === null) return [response];

  const observation: Observation = {
    resourceType: 'Observation',
    id: eventResourceId(ctx.courseId, 'Observation', ctx.eventId),
    status: corrected ? 'amended' : 'final',
    category: [
      { coding: [SURVEY_CATEGORY] },
      // When in the course the form was taken (baseline, session, end, follow_up).
      { coding: [{ system: 'urn:ipt:timepoint', code: a.timepoint }] },
    ],
    code: { coding: [TOTAL_SCORE_CODES[a.instrument]], text: `${a.instrument} total score` },
    subject: ctx.patient,
    effectiveDateTime: a.administeredAt,
    issued: ctx.issued,
    valueInteger: a.total,
    ...(a.severity === null ? {} : { interpretation: [{ text: a.severity }] }),
    method: { coding: [{ system: 'urn:ipt:scoring-scheme', code: a.scoringScheme }] },
    derivedFrom: [ref<QuestionnaireResponse>(responseId)],
  };
  return [response, observation];
}

function flagResource(
  flag: RiskFlagView,
  ctx: {
    id: string;
    courseId: string;
    patient: Reference<Patient>;
    detail: Reference | undefined;
    erased: boolean;
  },
): Flag {
  return {
    resourceType: 'Flag',
    id: ctx.id,
    ...(ctx.detail
      ? { extension: [{ url: FLAG_DETAIL_EXTENSION, valueReference: ctx.detail }] }
      : {}),
    ...(ctx.erased
      ? {}
      : {
          identifier: [{ system: `urn:ipt:course:${ctx.courseId}:risk-flag`, value: flag.flagId }],
        }),
    // Exactly the outcomes view: open → active, resolved → inactive.
    status: flag.status === 'open' ? 'active' : 'inactive',
    category: [{ coding: [SAFETY_FLAG_CATEGORY] }],
    code: {
      coding: [RISK_ITEM_CODES[flag.instrument]],
      text: `${flag.instrument} item ${flag.item} scored ${flag.score}`,
    },
    subject: ctx.patient,
    period: { start: flag.raisedAt, ...(flag.resolvedAt ? { end: flag.resolvedAt } : {}) },
  };
}

function homeworkActivity(
  h: HomeworkTrack,
  courseStatus: CourseStatus,
  erased: boolean,
): CarePlanActivity {
  const description = phiOf(h.assigned, erased)?.description;
  const status =
    h.submittedAt !== null ? 'completed' : courseStatus === 'active' ? 'scheduled' : 'cancelled';
  return {
    detail: {
      kind: 'Task',
      status,
      ...(description === undefined ? {} : { description }),
      scheduledPeriod: { end: h.assigned.dueAt },
    },
    ...(h.submittedAt === null ? {} : { progress: [{ time: h.submittedAt, text: 'Submitted' }] }),
  };
}
