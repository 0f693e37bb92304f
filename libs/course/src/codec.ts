/**
 * The one way to read a stored event as a course fact. The store hands back
 * untyped JSON; the codec checks its shape, lifts older schema versions to the
 * current one, and only then calls it a `CourseEvent`. Every reader (the
 * command side, the projections, the audit routes, the relay) goes through it,
 * so a new event version is handled in exactly one place: the upcaster table.
 *
 * Errors name the stream, the revision and the field, never a value: stored
 * data may hold PHI.
 */
import {
  COURSE_EVENT_TYPES,
  COURSE_STREAM_PREFIX,
  SCHEMA_VERSION,
  type CourseEvent,
  type CourseEventType,
} from './events';

/** What the codec needs of a recorded event (the event-store port's RecordedEvent fits). */
export interface StoredEvent {
  streamId: string;
  revision: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Store clock; the fallback for `recordedAt` when metadata lacks it. */
  created?: Date;
}

/** A stored event that is not a readable course event. */
export class EventDecodeError extends Error {
  readonly code = 'event_undecodable';
  constructor(
    readonly streamId: string,
    readonly revision: number,
    /** What is wrong, in terms of fields and types only. */
    readonly problem: string,
  ) {
    super(`cannot decode ${streamId}@${revision}: ${problem}`);
    this.name = 'EventDecodeError';
  }
}

/** The type and data of an event at some schema version. */
export interface VersionedPayload {
  type: string;
  data: Record<string, unknown>;
}

/** Lifts one event from the version it is keyed by to the next one. */
export type Upcaster = (payload: VersionedPayload) => VersionedPayload;

/** Upcasters by stored event type, then by the schema version they read. */
export type UpcasterTable = Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;

/**
 * The upcasters of this build. Version 1 is the only version so far: when an
 * event's data changes, bump SCHEMA_VERSION, change its type in events.ts and
 * add `{ [type]: { 1: (v1) => v2 } }` here.
 */
export const COURSE_UPCASTERS: UpcasterTable = {};

// Shapes: the primitive type of every data field, checked after upcasting.
// Ranges and coded values are the domain's business (decide), not the codec's.
type FieldShape =
  | 'string'
  | 'string?'
  | 'number'
  | 'boolean'
  | 'string[]'
  | 'number|null'
  | 'string|null'
  | '(number|null)[]'
  | { readonly [field: string]: FieldShape };
type DataShape<D> = { readonly [K in keyof D]-?: FieldShape };

/** Keyed by type and by every data field, so a new event or field does not compile without its shape. */
const SHAPES: { readonly [E in CourseEvent as E['type']]: DataShape<E['data']> } = {
  PatientEnrolled: {
    courseId: 'string',
    subjectId: 'string',
    therapistId: 'string',
    plannedSessions: 'number',
    enrolledAt: 'string',
    screening: {
      psychosis: 'boolean',
      bipolarDisorder: 'boolean',
      primarySubstanceUse: 'boolean',
      acuteSuicideRisk: 'boolean',
    },
    positiveCriteria: 'string[]',
    screenOverridden: 'boolean',
    phi: { patientRef: 'string', overrideReason: 'string?' },
  },
  ProblemAreaSelected: {
    courseId: 'string',
    area: 'string',
    previousArea: 'string|null',
    phi: { reason: 'string?' },
  },
  SessionHeld: {
    courseId: 'string',
    sessionNumber: 'number',
    heldAt: 'string',
    durationMinutes: 'number',
    modality: 'string',
  },
  SessionMissed: { courseId: 'string', scheduledAt: 'string', kind: 'string' },
  HomeworkAssigned: {
    courseId: 'string',
    homeworkId: 'string',
    sessionNumber: 'number',
    dueAt: 'string',
    phi: { description: 'string' },
  },
  HomeworkSubmitted: { courseId: 'string', homeworkId: 'string', submittedAt: 'string' },
  AssessmentRecorded: {
    courseId: 'string',
    assessmentId: 'string',
    instrument: 'string',
    timepoint: 'string',
    administeredAt: 'string',
    items: '(number|null)[]',
    total: 'number|null',
    severity: 'string|null',
    scoringScheme: 'string',
  },
  RiskFlagRaised: {
    courseId: 'string',
    flagId: 'string',
    assessmentId: 'string',
    instrument: 'string',
    item: 'number',
    score: 'number',
    raisedAt: 'string',
  },
  RiskFlagResolved: {
    courseId: 'string',
    flagId: 'string',
    disposition: 'string',
    resolvedAt: 'string',
    phi: { note: 'string?' },
  },
  PatientWithdrawn: { courseId: 'string', withdrawnAt: 'string', reason: 'string' },
  CourseCompleted: { courseId: 'string', completedAt: 'string' },
  AssessmentCorrected: {
    courseId: 'string',
    assessmentId: 'string',
    items: '(number|null)[]',
    total: 'number|null',
    severity: 'string|null',
    scoringScheme: 'string',
    phi: { reason: 'string' },
  },
  PersonalDataErased: {
    courseId: 'string',
    reason: 'string',
    reference: 'string|null',
    erasedAt: 'string',
  },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

function fits(value: unknown, shape: Exclude<FieldShape, object>): boolean {
  switch (shape) {
    case 'string':
      return typeof value === 'string';
    case 'string?':
      return value === undefined || typeof value === 'string';
    case 'number':
      return isNumber(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'number|null':
      return value === null || isNumber(value);
    case 'string|null':
      return value === null || typeof value === 'string';
    case '(number|null)[]':
      return Array.isArray(value) && value.every((v) => v === null || isNumber(v));
    default: {
      const unhandled: never = shape;
      return unhandled;
    }
  }
}

/** Checks a value against a shape: the first misfit's description, or null when all fit. */
type Check = (value: Record<string, unknown>) => string | null;

/** Compiled once per type, paths included: decoding is on the rebuild path of every projection. */
function compile(shape: { readonly [field: string]: FieldShape }, path: string): Check {
  const checks = Object.entries(shape).map(([field, fieldShape]): Check => {
    const at = `${path}.${field}`;
    if (typeof fieldShape === 'object') {
      const inner = compile(fieldShape, at);
      // `phi` reads as null once erased or when a reader asked for it without PHI (privacy.md).
      const nullable = field === 'phi';
      const notObject = `${at} must be an object${nullable ? ' or null' : ''}`;
      return (value) => {
        const fieldValue = value[field];
        if (nullable && fieldValue === null) return null;
        if (nullable && isRecord(fieldValue) && typeof fieldValue.ct === 'string')
          return `${at} is sealed: open it (or drop it) before decoding`;
        return isRecord(fieldValue) ? inner(fieldValue) : notObject;
      };
    }
    const problem = `${at} must be ${fieldShape === 'string?' ? 'a string when present' : fieldShape}`;
    return (value) => (fits(value[field], fieldShape) ? null : problem);
  });
  return (value) => {
    for (const check of checks) {
      const problem = check(value);
      if (problem !== null) return problem;
    }
    return null;
  };
}

const CHECKS = Object.fromEntries(
  Object.entries(SHAPES).map(([type, shape]) => [type, compile(shape, `${type}.data`)]),
) as Record<CourseEventType, Check>;

const KNOWN_TYPES = new Set<string>(COURSE_EVENT_TYPES);
const isCourseEventType = (type: string): type is CourseEventType => KNOWN_TYPES.has(type);

/** Stored type names are ours, but keep a malformed one out of logs all the same. */
const nameOf = (type: string) =>
  /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(type) ? type : '(not a type name)';

export interface CourseEventCodec {
  /** The course event of a stored one, at the current schema version; throws EventDecodeError. */
  decode(stored: StoredEvent): CourseEvent;
}

/** A codec reading events up to `schemaVersion` with the given upcasters (tests pass their own). */
export function courseEventCodec(
  schemaVersion: number,
  upcasters: UpcasterTable,
): CourseEventCodec {
  return {
    decode(stored) {
      const fail = (problem: string) =>
        new EventDecodeError(stored.streamId, stored.revision, problem);
      if (!isRecord(stored.data)) throw fail('data must be an object');
      if (!isRecord(stored.metadata)) throw fail('metadata must be an object');
      const version = stored.metadata.schemaVersion;
      if (!Number.isInteger(version) || (version as number) < 1)
        throw fail('metadata.schemaVersion must be a positive integer');
      if ((version as number) > schemaVersion)
        throw fail(`schema version ${version} is newer than this build reads (${schemaVersion})`);

      let payload: VersionedPayload = { type: stored.type, data: stored.data };
      for (let v = version as number; v < schemaVersion; v += 1) {
        const upcast = upcasters[payload.type]?.[v];
        // No upcaster: the event did not change in that version.
        if (upcast) payload = upcast(payload);
      }

      const { type, data } = payload;
      if (!isCourseEventType(type)) throw fail(`unknown event type ${nameOf(type)}`);
      const problem = CHECKS[type](data);
      if (problem) throw fail(problem);
      return { type, data } as CourseEvent;
    },
  };
}

const codec = courseEventCodec(SCHEMA_VERSION, COURSE_UPCASTERS);

/** The course event of a stored one; throws EventDecodeError naming what is wrong. */
export const decodeCourseEvent = (stored: StoredEvent): CourseEvent => codec.decode(stored);

/** The clinic that owns the event's course (metadata.clinicId). */
export function clinicOf(stored: StoredEvent): string {
  const clinicId = stored.metadata.clinicId;
  if (typeof clinicId !== 'string' || clinicId.length === 0)
    throw new EventDecodeError(stored.streamId, stored.revision, 'metadata.clinicId is missing');
  return clinicId;
}

/** When the server recorded the event: metadata.recordedAt, else the store's own clock. */
export function recordedAtOf(stored: StoredEvent): string {
  const recordedAt = stored.metadata.recordedAt;
  if (typeof recordedAt === 'string') return recordedAt;
  if (stored.created instanceof Date && !Number.isNaN(stored.created.getTime()))
    return stored.created.toISOString();
  throw new EventDecodeError(stored.streamId, stored.revision, 'metadata.recordedAt is missing');
}

/** The course of a course stream's event (`course-<courseId>`). */
export function courseIdOf(stored: Pick<StoredEvent, 'streamId' | 'revision'>): string {
  if (!stored.streamId.startsWith(COURSE_STREAM_PREFIX) || stored.streamId === COURSE_STREAM_PREFIX)
    throw new EventDecodeError(stored.streamId, stored.revision, 'not a course stream');
  return stored.streamId.slice(COURSE_STREAM_PREFIX.length);
}

/**
 * The stored event with its `phi` replaced by null: for readers that need no
 * PHI (the command side's fold, the relay, the figures), so they never need
 * a course key and never hold PHI.
 */
export function withoutPhi<E extends { data: Record<string, unknown> }>(stored: E): E {
  if (!isRecord(stored.data) || !('phi' in stored.data)) return stored;
  return { ...stored, data: { ...stored.data, phi: null } };
}
